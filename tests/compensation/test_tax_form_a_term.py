"""A tax form required before payment is a term (issue 33): added in a new version it is a
material change marked worse, participants are told and "needs your action" lists it; it holds
only pay earned under a version that requires it, never pay earned before; the tester sends the
form in the product (stored encrypted) and finance is told it arrived. The programme setting
that held pay already earned is gone, its values carried into the terms."""

from datetime import timedelta
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from compensation import services
from compensation.models import LedgerEntry, TaxStatus
from core.models import OutboxMessage
from labour import services as labour
from participants.models import Participation
from programs.models import TermsVersion
from tests.programs.test_trust_terms import V1, _publish_v2
from tests.support.migrations import migrate_to, newest

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\nW-9 of Pat Participant, TIN 123-45-6789\n%%EOF\n"
W9 = "IRS Form W-9 (US person)"


def _needs(html: str) -> str:
    if 'id="todo"' not in html:
        return ""
    start = html.index('<h2 id="todo">Needs your action</h2>')
    return html[start : html.index("</section>", start)]


def _send(client, **fields):
    data = {"kind": "w9", "valid_until": "", **fields}
    if "document" not in fields:
        data["document"] = SimpleUploadedFile("w9.pdf", PDF, content_type="application/pdf")
    elif fields["document"] is None:
        del data["document"]
    return client.post("/statement/tax-form/alpha/", data)


def test_adding_a_tax_form_is_material_marked_worse_and_told_to_participants(
    programme, manager, participant, as_user
):
    client = as_user(manager)
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    editor = client.get(f"/staff/programmes/{programme.slug}/terms/2/").content.decode()
    assert 'name="tax_forms"' in editor and "Tax form required before payment" in editor
    preview = client.post(
        f"/staff/programmes/{programme.slug}/terms/2/",
        {**V1, "material_change": "", "tax_forms": ["w9"], "preview": "1"},
    ).content.decode()
    assert "<strong>This is a material change</strong>" in preview
    assert "Worse for testers: Tax form required before payment." in preview
    before = timezone.now()
    v2 = _publish_v2(client, programme, material_change="", tax_forms=["w9"])
    assert v2.tax_forms == ["w9"] and v2.material_change
    assert v2.effective_at >= before + timedelta(days=14)  # the notice period of v1
    mail = OutboxMessage.objects.get(recipient=participant, subject__startswith="New terms")
    assert "Tax form required before payment: — → IRS Form W-9 (US person) (worse for you)" in (
        mail.body
    )
    assert (
        "A tax form is asked for: pay earned under version 2 is paid once you have sent "
        f"{W9}. Send it in the product: /statement/tax-form/alpha/. Pay earned before it is "
        "not held." in mail.body
    )
    page = unescape(as_user(participant).get("/programmes/alpha/terms/2/").content.decode())
    assert f"Pay earned under these terms is paid once you have sent {W9} (in the product)" in page


def test_pay_earned_before_the_requirement_is_never_held_and_the_form_sent_releases_the_rest(
    programme, manager, reviewer, participant, finance, as_user, approve, make_batch
):
    programme.terms.update(notice_period_days=0)
    v1 = programme.terms.get()
    TermsVersion.objects.filter(pk=v1.pk).update(content_hash=v1.compute_hash())
    yesterday = timezone.localdate() - timedelta(days=1)
    old = labour.time_entry_log(
        actor=participant, programme=programme, date=yesterday, minutes=60, activity="testing"
    )
    assert "tax" not in _needs(as_user(participant).get("/portal/").content.decode())
    v2 = _publish_v2(as_user(manager), programme, tax_forms=["w9"], notice_period_days="0")
    as_user(participant).post(
        f"/portal/programmes/{programme.slug}/consent/",
        {"terms_hash": v2.content_hash, "accept": "on"},
    )
    new = labour.time_entry_log(
        actor=participant,
        programme=programme,
        date=timezone.localdate(),
        minutes=60,
        activity="testing",
    )
    for entry in (old, new):
        labour.time_entry_confirm(actor=reviewer, entry=entry)
    services.accrue_hourly(programme=programme)
    earned = {e.terms_version.number: e for e in LedgerEntry.objects.filter(kind="hourly")}
    approve(*earned.values())

    # Needs your action lists the form, linking to where it is sent.
    tester = as_user(participant)
    needs = _needs(tester.get("/portal/").content.decode())
    assert (
        f"Your pay from Alpha waits for your tax status: send {W9}. "
        '<a href="/statement/tax-form/alpha/">Send the form</a>' in needs
    )
    # The pay earned under v1 goes into the batch; the pay earned under v2 waits.
    first = make_batch()
    assert list(first.entries.values_list("pk", flat=True)) == [earned[1].pk]
    earned[2].refresh_from_db()
    assert earned[2].state == "approved" and earned[2].batch_id is None

    # The tester sends the form in the product; finance is told; the held pay is released.
    form = tester.get("/statement/tax-form/alpha/").content.decode()
    assert W9 in unescape(form) and 'type="file"' in form
    response = _send(tester)
    assert response.status_code == 302, response.content.decode()[:2000]
    status = TaxStatus.objects.get(participation__user=participant)
    assert status.kind == "w9" and status.recorded_by == participant
    with connection.cursor() as cursor:
        cursor.execute("SELECT document_secret FROM compensation_taxstatus")
        (raw,) = cursor.fetchone()
    assert raw and "%PDF" not in raw and "123-45-6789" not in raw
    told = OutboxMessage.objects.get(recipient=finance, subject__startswith="A tax form arrived")
    assert "participant@example.com sent their IRS Form W-9" in told.body
    assert AuditEvent.objects.get(action="compensation.tax_status.sent").actor == participant
    assert "tax" not in _needs(tester.get("/portal/").content.decode())
    second = make_batch()
    assert list(second.entries.values_list("pk", flat=True)) == [earned[2].pk]


def test_the_programme_settings_hold_no_pay_any_more(
    programme, manager, participant, as_user, award, approve, make_batch
):
    client = as_user(manager)
    settings_page = client.get(f"/staff/programmes/{programme.slug}/settings/").content.decode()
    assert 'name="tax_forms"' not in settings_page
    client.post(
        f"/staff/programmes/{programme.slug}/settings/",
        {
            "name": programme.name,
            "product": programme.product,
            "summary": "",
            "currency": programme.currency,
            "tax_forms": ["eu_vat"],
        },
    )
    prize = award(Participation.objects.get(user=participant, programme=programme), "40.00")
    approve(prize)
    assert list(make_batch().entries.values_list("pk", flat=True)) == [prize.pk]


def test_bad_tax_forms_are_refused_with_the_reason_and_change_nothing(
    programme, participant, outsider, finance, as_user
):
    TermsVersion.objects.filter(programme=programme).update(tax_forms=["w9"])
    tester = as_user(participant)
    cases = [
        (
            {"document": SimpleUploadedFile("w9.html", b"<html><script>x</script></html>")},
            "refused",
        ),
        ({"document": None}, "This field is required."),
        ({"valid_until": "2020-01-01"}, "That status expired on 2020-01-01"),
        ({"kind": "eu_vat"}, "Select a valid choice"),
        ({"valid_until": "soon"}, "Enter a valid date"),
    ]
    for fields, message in cases:
        response = _send(tester, **fields)
        assert response.status_code == 400, fields
        assert message in unescape(response.content.decode()), (fields, message)
    # Someone who does not take part in the programme has nowhere to send one.
    assert _send(as_user(outsider)).status_code == 404
    assert not TaxStatus.objects.exists()
    assert not AuditEvent.objects.filter(action="compensation.tax_status.sent").exists()
    assert not OutboxMessage.objects.filter(recipient=finance).exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_the_setting_into_the_terms_in_force_and_after_not_before():
    latest = newest("programs")
    old = migrate_to([("programs", "0016_one_payment_date_term")])
    Programme = old.get_model("programs", "Programme")
    Terms = old.get_model("programs", "TermsVersion")
    programme = Programme.objects.create(
        name="Old", slug="old", product="Old cam", tax_forms=["w9", "w8ben"]
    )
    plain = Programme.objects.create(name="Plain", slug="plain", product="Plain cam")
    now = timezone.now()
    when = {1: now - timedelta(days=60), 2: now - timedelta(days=5), 3: now + timedelta(days=9)}
    for number, effective in when.items():
        Terms.objects.create(
            programme=programme, number=number, status="published", effective_at=effective
        )
    Terms.objects.create(programme=programme, number=4)  # a draft
    Terms.objects.create(programme=plain, number=1, status="published", effective_at=now)
    migrate_to(latest)
    carried = dict(
        TermsVersion.objects.filter(programme__slug="old").values_list("number", "tax_forms")
    )
    assert carried == {1: [], 2: ["w9", "w8ben"], 3: ["w9", "w8ben"], 4: ["w9", "w8ben"]}
    assert TermsVersion.objects.get(programme__slug="plain").tax_forms == []
