"""Tax status as a gate: pay earned under terms that require a tax form is paid only once a
valid status is held (recorded by finance here; sent by the payee in
tests/compensation/test_tax_form_a_term.py). Through the pages: the batch preview, the tax
status page and its document download, the participant's statement."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from compensation.models import LedgerEntry, PayoutBatch, TaxStatus
from core.models import OutboxMessage
from programs.models import ProgrammeRole, TermsVersion
from tests.conftest import summarise
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\nW-9 of Ada Tester, TIN 123-45-6789\n%%EOF\n"


def require_tax_status(programme, forms=("w9", "w8ben")):
    """The terms the pay is earned under ask for a tax form (how a manager adds the term
    through the editor is in test_tax_form_a_term.py)."""
    TermsVersion.objects.filter(programme=programme).update(tax_forms=list(forms))


def batch_form(programme):
    today = timezone.localdate()
    return {
        "programmes": [programme.pk],
        "period_start": (today - timedelta(days=30)).isoformat(),
        "period_end": today.isoformat(),
        "currency": "EUR",
        "method": "file",
    }


def record(client, participation, **fields):
    data = {"kind": "w9", "valid_until": "", **fields}
    return client.post(reverse("compensation:tax_status", args=[participation.pk]), data)


@pytest.fixture
def two_payees_owed(manager, as_user, programme, participation, participation2, award, approve):
    require_tax_status(programme)
    approve(award(participation, "40.00"), award(participation2, "25.00"))


def test_a_payee_without_a_tax_status_waits_outside_the_batch_and_is_included_once_recorded(
    two_payees_owed, as_user, finance, programme, participation, participation2
):
    client = as_user(finance)
    preview = client.get(reverse("compensation:batch_new"), batch_form(programme))
    text = preview.content.decode()
    assert "2 payees wait for tax status" in text
    assert "participant@example.com" in text and "participant2@example.com" in text
    assert "Nothing approved waits for export" in text

    answer = record(
        client,
        participation,
        valid_until=(timezone.localdate() + timedelta(days=365)).isoformat(),
        document=SimpleUploadedFile("w9.pdf", PDF, content_type="application/pdf"),
    )
    assert answer.status_code == 302
    page = client.get(answer["Location"]).content.decode()
    assert "IRS Form W-9 (US person)" in page and "Download the signed form" in page

    text = client.get(reverse("compensation:batch_new"), batch_form(programme)).content.decode()
    assert "1 payee waits for tax status" in text
    assert "participant2@example.com" in text
    assert "<td>EUR</td><td>1</td><td>1</td><td>€40.00</td>" in text
    created = client.post(reverse("compensation:batch_new"), batch_form(programme))
    assert created.status_code == 302
    batch = PayoutBatch.objects.get()
    assert [line.participation_id for line in batch.lines.all()] == [participation.pk]
    waiting = LedgerEntry.objects.get(participation=participation2)
    assert waiting.state == "approved" and waiting.batch_id is None
    event = AuditEvent.objects.get(action="compensation.tax_status.recorded")
    assert event.data["kind"] == "w9" and event.data["document"] is True
    assert OutboxMessage.objects.filter(
        recipient=participation.user, subject__startswith="Your tax status for Alpha"
    ).exists()


def test_an_expired_tax_status_holds_the_pay_again(
    two_payees_owed, as_user, finance, programme, participation
):
    client = as_user(finance)
    assert record(client, participation, kind="w8ben").status_code == 302
    TaxStatus.objects.filter(participation=participation).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )
    text = client.get(reverse("compensation:batch_new"), batch_form(programme)).content.decode()
    assert "2 payees wait for tax status" in text
    client.force_login(participation.user)
    statement = client.get(reverse("compensation:statement")).content.decode()
    assert "The one held expired on" in statement


def test_the_participant_sees_why_their_pay_waits_and_whom_to_send_which_form(
    two_payees_owed, as_user, finance, participant, participation
):
    client = as_user(participant)
    page = client.get(reverse("compensation:statement")).content.decode()
    assert "Your pay from Alpha waits for your tax status" in page
    assert "IRS Form W-9 (US person); IRS Form W-8BEN (non-US person)" in page
    assert "finance@example.com" in page
    record(as_user(finance), participation)
    page = as_user(participant).get(reverse("compensation:statement")).content.decode()
    assert "waits for your tax status" not in page


def test_only_the_programmes_finance_records_a_tax_status_or_downloads_its_document(
    two_payees_owed,
    as_user,
    finance,
    manager,
    reviewer,
    participant,
    participant2,
    outsider,
    other_programme,
    participation,
    programme,
):
    assert (
        record(
            as_user(finance),
            participation,
            document=SimpleUploadedFile("w9.pdf", PDF, content_type="application/pdf"),
        ).status_code
        == 302
    )
    status = TaxStatus.objects.get()
    download = reverse("compensation:tax_document", args=[status.pk])
    got = as_user(finance).get(download)
    assert got.status_code == 200 and got.content == PDF
    assert got["X-Checksum-SHA256"] == status.document_sha256

    other_finance = make_staff(
        other_programme, ProgrammeRole.Role.FINANCE, email="other-finance@example.com"
    )
    # A participant who is also finance of the programme records nobody's status on their own.
    make_staff(programme, ProgrammeRole.Role.FINANCE, user=participant)
    refused = 0
    for person in (manager, reviewer, participant2, outsider, other_finance, participant):
        client = as_user(person)
        for url in (
            reverse("compensation:tax_status", args=[participation.pk]),
            download,
        ):
            response = client.get(url)
            assert response.status_code in (403, 404), (person.email, url, response.status_code)
            refused += 1
        answer = record(client, participation, kind="w8ben")
        assert answer.status_code in (403, 404), person.email
    assert TaxStatus.objects.get().kind == "w9"
    assert AuditEvent.objects.filter(action="compensation.tax_status.recorded").count() == 1
    summarise(pairs=refused)


def test_the_document_is_encrypted_at_rest(two_payees_owed, as_user, finance, participation):
    record(
        as_user(finance),
        participation,
        document=SimpleUploadedFile("w9.pdf", PDF, content_type="application/pdf"),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT document_secret, document_type FROM compensation_taxstatus")
        (raw, kind) = cursor.fetchone()
    assert kind == "application/pdf"
    assert raw and "%PDF" not in raw and "123-45-6789" not in raw and "Ada" not in raw


def test_bad_input_on_the_tax_status_page_is_named_and_changes_nothing(
    two_payees_owed, as_user, finance, participation
):
    client = as_user(finance)
    cases = [
        (
            {"document": SimpleUploadedFile("w9.html", b"<html><script>x</script></html>")},
            "was refused",
        ),
        ({"valid_until": "2020-01-01"}, "That status expired on 2020-01-01"),
        ({"kind": "eu_vat"}, "Select a valid choice"),
        ({"valid_until": "not a date"}, "Enter a valid date"),
    ]
    for fields, message in cases:
        page = record(client, participation, **fields)
        assert page.status_code == 400, fields
        assert message in page.content.decode(), (fields, page.content.decode()[:3000])
    assert not TaxStatus.objects.exists()
    assert not AuditEvent.objects.filter(action="compensation.tax_status.recorded").exists()
    summarise(inputs=len(cases))


def test_the_finance_list_shows_who_is_missing_a_tax_status(
    two_payees_owed, as_user, finance, participation
):
    client = as_user(finance)
    record(client, participation)
    page = client.get(reverse("compensation:tax_statuses")).content.decode()
    assert page.count("Missing: pay waits") == 1
    assert "IRS Form W-9 (US person)" in page
