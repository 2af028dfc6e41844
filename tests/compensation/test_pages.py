"""The finance pages and the participant statement, through the real views."""

import csv
import hashlib
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from compensation.models import LedgerEntry, PayoutBatch
from participants.models import Participation
from programs.models import Programme

from .conftest import stored

TODAY = timezone.localdate().isoformat()

pytestmark = pytest.mark.django_db


def test_a_participant_sees_only_their_own_entries_on_the_statement_and_in_its_csv(
    as_user, participant, participation, participation2, award, approve, make_batch, finance
):
    mine = award(participation, "12.30", reason="Mine: best bug")
    award(participation2, "99.99", reason="Theirs: secret prize")
    approve(mine)
    batch = make_batch()
    from compensation import services

    services.batch_mark_paid(
        actor=finance, batch=batch, reference="R1", paid_on=timezone.localdate()
    )
    client = as_user(participant)
    page = client.get(reverse("compensation:statement"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mine: best bug" in html and "12.30" in html
    assert "Theirs" not in html and "99.99" not in html
    body = b"".join(client.get(reverse("compensation:statement_csv")).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["description"] for r in rows] == ["Prize: Mine: best bug"]
    assert rows[0]["state"] == "paid"


def test_a_participant_reviewer_or_outsider_cannot_open_another_persons_entry(
    as_user, participation, participant2, reviewer, outsider, award, client
):
    entry = award(participation, "5.00")
    url = reverse("compensation:entry", args=[entry.pk])
    for person in (participant2, reviewer, outsider):
        client.force_login(person)
        assert client.get(url).status_code in (403, 404)
        assert client.get(reverse("compensation:entries")).status_code == 403


def test_finance_of_another_programme_gets_404_for_this_programmes_entries_and_batches(
    other_programme, participation, award, approve, make_batch, client
):
    from tests.factories import make_staff

    stranger = make_staff(other_programme, "finance", email="other-finance@example.com")
    entry = award(participation, "5.00")
    approve(entry)
    batch = make_batch()
    client.force_login(stranger)
    assert client.get(reverse("compensation:entry", args=[entry.pk])).status_code == 404
    assert client.get(reverse("compensation:batch", args=[batch.pk])).status_code == 404
    assert (
        client.get(reverse("compensation:batch_download", args=[batch.pk, "csv"])).status_code
        == 404
    )
    listed = client.get(reverse("compensation:entries")).content.decode()
    assert f'href="/finance/entries/{entry.pk}/"' not in listed


def test_finance_approves_the_selected_entries_from_the_filtered_list(
    as_user, finance, participation, award
):
    a, b = award(participation, "5.00"), award(participation, "6.00")
    client = as_user(finance)
    listing = client.get(reverse("compensation:entries"), {"state": "accrued", "kind": "prize"})
    assert listing.status_code == 200 and f'value="{a.pk}"' in listing.content.decode()
    response = client.post(reverse("compensation:entries_approve"), {"entry": [a.pk]}, follow=True)
    assert "1 entry approved." in response.content.decode()
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.state, b.state) == ("approved", "accrued")


def test_the_same_approver_twice_above_the_threshold_is_told_why_on_the_page(
    as_user, programme, finance, participation, award
):
    Programme.objects.filter(pk=programme.pk).update(approval_threshold=Decimal("10.00"))
    entry = award(participation, "50.00")
    client = as_user(finance)
    url = reverse("compensation:entry_approve", args=[entry.pk])
    first = client.post(url, follow=True).content.decode()
    assert "a second person must approve" in first
    second = client.post(url, follow=True).content.decode()
    assert "a second, different person must approve it" in second
    entry.refresh_from_db()
    assert entry.state == "accrued"


def test_a_manager_awards_a_prize_with_a_reason_and_bad_input_changes_nothing(
    as_user, manager, programme, participant
):
    client = as_user(manager)
    url = reverse("compensation:award_new")
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {
            "programme": programme.pk,
            "participant_email": "nobody@example.com",
            "kind": "prize",
            "amount": "10.005",
            "currency": "EURO",
            "reason": "",
        },
    )
    assert bad.status_code == 400
    assert not LedgerEntry.objects.exists()
    good = client.post(
        url,
        {
            "programme": programme.pk,
            "participant_email": participant.email,
            "kind": "prize",
            "amount": "150.00",
            "currency": "eur",
            "reason": "Screening competition, second place",
            "once": "abc",
        },
    )
    assert good.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.amount, entry.currency, entry.created_by) == (Decimal("150.00"), "EUR", manager)


def test_finance_previews_totals_per_currency_then_creates_the_batch(
    as_user, finance, programme, participation, award, approve, pays_in_usd_too
):
    approve(
        award(participation, "1.10"),
        award(participation, "2.20"),
        award(participation, "3.00", currency="USD"),
    )
    client = as_user(finance)
    today = timezone.localdate().isoformat()
    params = {
        "programmes": [programme.pk],
        "period_start": "2020-01-01",
        "period_end": today,
        "currency": "EUR",
    }
    preview = client.get(reverse("compensation:batch_new"), params).content.decode()
    assert "3.30" in preview and "3.00" in preview and "goes into this batch" in preview
    assert not PayoutBatch.objects.exists()
    response = client.post(reverse("compensation:batch_new"), params)
    batch = PayoutBatch.objects.get()
    assert response.url == reverse("compensation:batch", args=[batch.pk])
    page = client.get(response.url).content.decode()
    assert "€3.30" in page and "(ledger: €3.30)" in page


def test_a_batch_with_nothing_to_export_is_refused_with_a_message(as_user, finance, programme):
    client = as_user(finance)
    params = {
        "programmes": [programme.pk],
        "period_start": "2020-01-01",
        "period_end": "2020-02-01",
        "currency": "EUR",
    }
    response = client.post(reverse("compensation:batch_new"), params)
    assert response.status_code == 400
    assert "No approved entry waits for export" in response.content.decode()
    assert not PayoutBatch.objects.exists()


def test_a_redownload_is_byte_identical_and_matches_the_recorded_checksum(
    as_user, finance, participation, award, approve, make_batch
):
    approve(award(participation, "12.34"))
    batch = make_batch()
    client = as_user(finance)
    url = reverse("compensation:batch_download", args=[batch.pk, "csv"])
    first = b"".join(client.get(url).streaming_content)
    second = b"".join(client.get(url).streaming_content)
    assert first == second
    assert hashlib.sha256(first).hexdigest() == batch.csv_sha256
    xurl = reverse("compensation:batch_download", args=[batch.pk, "xlsx"])
    x1 = b"".join(client.get(xurl).streaming_content)
    assert x1 == b"".join(client.get(xurl).streaming_content)
    assert hashlib.sha256(x1).hexdigest() == batch.xlsx_sha256


def test_formula_cells_are_escaped_in_the_batch_csv_and_xlsx(
    participant, participation, award, approve, make_batch
):
    participant.first_name, participant.last_name = '=HYPERLINK("http://x")', "+1"
    participant.save()
    Participation.objects.filter(pk=participation.pk).update(payout_reference="@SUM(A1)")
    approve(award(participation, "5.00"))
    batch = make_batch()
    rows = list(csv.DictReader(io.StringIO(stored(batch, "csv").decode())))
    assert rows[0]["name"].startswith("'=")
    assert rows[0]["payout reference"] == "'@SUM(A1)"
    sheet = load_workbook(io.BytesIO(stored(batch, "xlsx"))).active
    values = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert values[2].startswith("'=") and values[4] == "'@SUM(A1)"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_reconciliation_upload_shows_every_mismatch_and_changes_nothing(
    as_user, finance, participation, award, approve, make_batch
):
    approve(award(participation, "5.00"))
    batch = make_batch()
    line = batch.lines.get()
    client = as_user(finance)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "paid.csv", f"reference,amount,date\n{line.line_key},4.99,{TODAY}\n".encode(), "text/csv"
    )
    response = client.post(
        reverse("compensation:batch_reconcile", args=[batch.pk]), {"file": upload}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was marked paid" in html and "amount differs: file 4.99, batch 5.00 EUR" in html
    batch.refresh_from_db()
    assert batch.status == "ready"
    upload = SimpleUploadedFile(
        "paid.csv", f"reference,amount,date\n{line.line_key},5.00,{TODAY}\n".encode(), "text/csv"
    )
    response = client.post(
        reverse("compensation:batch_reconcile", args=[batch.pk]), {"file": upload}
    )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "paid"


def test_the_portal_links_to_the_statement(as_user, participant):
    html = as_user(participant).get(reverse("portal:home")).content.decode()
    assert reverse("compensation:statement") in html


def test_finance_lists_use_a_fixed_number_of_queries(
    as_user,
    finance,
    participation,
    participation2,
    award,
    approve,
    make_batch,
    django_assert_max_num_queries,
):
    for i in range(30):
        approve(award(participation if i % 2 else participation2, f"{i}.01"))
    make_batch()
    for i in range(30):
        award(participation, f"{i}.02")
    client = as_user(finance)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("compensation:entries")).status_code == 200
    with django_assert_max_num_queries(12):
        assert (
            client.get(
                reverse("compensation:entries"), {"state": "accrued", "currency": "eur"}
            ).status_code
            == 200
        )
    with django_assert_max_num_queries(10):
        assert client.get(reverse("compensation:home")).status_code == 200
    batch = PayoutBatch.objects.get()
    with django_assert_max_num_queries(12):
        assert client.get(reverse("compensation:batch", args=[batch.pk])).status_code == 200
    client = as_user(participation.user)
    # One more than before the tax gate: the person's programmes and tax statuses, together;
    # two more for issue 28: cost reimbursements shown apart, payments that came back.
    with django_assert_max_num_queries(11):
        assert client.get(reverse("compensation:statement")).status_code == 200
