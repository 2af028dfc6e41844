"""The providers' own result files settle their batches, through the same path as a camt.053
statement: PayPal Payouts' result file for a PayPal batch, Wise's statement for a Wise batch.
Through the batch page: only what matched is paid, each payee is told once, every other line
is listed with its line in the file, a malformed file changes nothing, a settled batch says so.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from compensation.models import LedgerEntry, PayoutBatch
from core.models import OutboxMessage
from tests.conftest import summarise

from .test_payouts import build_through_the_page, give_details

TODAY = timezone.localdate().isoformat()
DMY = timezone.localdate().strftime("%d-%m-%Y")

pytestmark = pytest.mark.django_db

PAYPAL_HEADER = "Transaction ID,Recipient,Amount,Currency,Status,Reference ID,Date,Note\r\n"
WISE_HEADER = (
    '"TransferWise ID",Date,Amount,Currency,Description,"Payment Reference",'
    '"Running Balance","Payee Name"\r\n'
)


def upload(client, batch, text, name="results.csv"):
    return client.post(
        reverse("compensation:batch_statement", args=[batch.pk]),
        {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")},
        follow=True,
    )


@pytest.fixture
def paypal_batch(
    client,
    participant,
    participant2,
    participation,
    participation2,
    award,
    approve,
    finance,
    programme,
):
    for person, email in ((participant, "ada@example.org"), (participant2, "emile@example.org")):
        client.force_login(person)
        give_details(client, method="paypal", email=email)
    approve(award(participation, "5.00"), award(participation2, "6.00"))
    client.force_login(finance)
    build_through_the_page(client, programme, method="paypal")
    batch = PayoutBatch.objects.get(method="paypal")
    refs = {line.participation_id: line.end_to_end_id for line in batch.lines.all()}
    return batch, refs[participation.pk], refs[participation2.pk]


@pytest.fixture
def wise_batch(
    client,
    participant,
    participant2,
    participation,
    participation2,
    award,
    approve,
    finance,
    programme,
):
    for person, email in ((participant, "ada@example.org"), (participant2, "emile@example.org")):
        client.force_login(person)
        give_details(client, method="wise", email=email, country="FR")
    approve(award(participation, "5.00"), award(participation2, "6.00"))
    client.force_login(finance)
    build_through_the_page(client, programme, method="wise")
    batch = PayoutBatch.objects.get(method="wise")
    refs = {line.participation_id: line.end_to_end_id for line in batch.lines.all()}
    return batch, refs[participation.pk], refs[participation2.pk]


def test_paypals_result_file_settles_a_paypal_batch_and_each_payee_is_told_once(
    paypal_batch, client, participant, participant2
):
    batch, ada, emile = paypal_batch
    page = client.get(reverse("compensation:batch", args=[batch.pk])).content.decode()
    assert "Import PayPal&#x27;s result file" in page or "Import PayPal's result file" in page
    text = (
        PAYPAL_HEADER
        + f"5TY01,ada@example.org,5.00,EUR,Completed,{ada},{TODAY}T06:46:23Z,\r\n"
        + f"5TY02,emile@example.org,6.00,EUR,SUCCESS,{emile},{TODAY},\r\n"
        + f"5TY99,someone@example.org,9.00,EUR,Completed,INVOICE-77,{TODAY},\r\n"
    )
    html = upload(client, batch, text).content.decode()
    assert "Result file imported: 2 lines paid; 1 other transaction ignored." in html
    batch.refresh_from_db()
    assert batch.status == "paid"
    assert set(LedgerEntry.objects.values_list("state", flat=True)) == {"paid"}
    assert set(LedgerEntry.objects.values_list("paid_reference", flat=True)) == {"5TY01", "5TY02"}
    for person in (participant, participant2):
        assert (
            OutboxMessage.objects.filter(
                recipient=person, subject__startswith="You were paid"
            ).count()
            == 1
        )
    # Uploading it again: each line is already paid, and nothing changes.
    again = upload(client, batch, text).content.decode()
    assert "2 problem(s) in the PayPal Payouts result file; nothing was marked paid" in again
    assert f"already paid on {TODAY}; nothing to do" in again
    assert OutboxMessage.objects.filter(subject__startswith="You were paid").count() == 2


def test_a_paypal_failed_line_is_taken_out_never_paid_and_paid_again_in_the_next_batch(
    paypal_batch, client, participant, participant2, finance
):
    batch, ada, emile = paypal_batch
    text = (
        PAYPAL_HEADER
        + f"5TY01,ada@example.org,5.00,EUR,Completed,{ada},{TODAY},\r\n"
        + f"5TY02,emile@example.org,6.00,EUR,Unclaimed,{emile},{TODAY},\r\n"
        + f"5TY03,ada@example.org,5.00,EUR,Completed,{ada},{TODAY},\r\n"
        + f"5TY04,emile@example.org,6.50,EUR,Completed,{emile},{TODAY},\r\n"
        + f"5TY05,emile@example.org,6.00,EUR,FAILED,{emile},{TODAY},\r\n"
        + f"5TY06,x@example.org,1.00,EUR,Completed,TT-999999-1,{TODAY},\r\n"
    )
    html = upload(client, batch, text).content.decode()
    assert (
        "Result file imported: 1 line paid, 1 taken out of the batch (failed or returned)" in html
    )
    assert "line 3" in html and "not booked yet" in html
    assert "line 4" in html and "duplicate: this line is paid twice" in html
    assert "line 5" in html and "amount differs: statement 6.50 EUR, batch 6.00 EUR" in html
    assert "line 7" in html and "no line of this batch has this reference" in html
    # The failed line is out of the batch: the batch is paid (every line is paid or taken
    # out), the failed payee's entry is owed again, never shown paid.
    batch.refresh_from_db()
    assert batch.status == "paid"
    line = batch.lines.get(participation__user=participant2)
    assert (line.state, line.outcome_reason, line.paid_at) == ("failed", "FAILED", None)
    batch_page = client.get(reverse("compensation:batch", args=[batch.pk])).content.decode()
    assert "Failed" in batch_page and "Taken out of this batch" in batch_page
    assert LedgerEntry.objects.get(participation__user=participant).state == "paid"
    owed = LedgerEntry.objects.get(participation__user=participant2)
    assert (owed.state, owed.batch_id) == ("approved", None)
    assert not OutboxMessage.objects.filter(
        recipient=participant2, subject__startswith="You were paid"
    ).exists()
    assert OutboxMessage.objects.filter(
        recipient=participant2, subject="Your payment of 6.00 EUR did not go through"
    ).exists()
    event = AuditEvent.objects.get(action="compensation.line.failed")
    assert event.data["reason"] == "FAILED" and event.data["was"] == "sent"
    # "Mark paid" is not offered on a settled batch, and the payee's statement says so.
    assert "Mark the whole batch paid" not in batch_page
    client.force_login(participant2)
    mine = client.get(reverse("compensation:statement")).content.decode()
    assert f"6.00 EUR from {batch.programmes.get().name}: failed on {TODAY}" in mine
    assert "will be paid again" in mine
    # The next batch pays it again.
    client.force_login(finance)
    build_through_the_page(client, batch.programmes.get(), method="paypal")
    again = PayoutBatch.objects.exclude(pk=batch.pk).get()
    assert again.lines.get().participation.user == participant2
    assert LedgerEntry.objects.get(participation__user=participant2).batch_id == again.pk


def test_wises_statement_settles_a_wise_batch_and_a_refund_is_listed(
    wise_batch, client, participant, participant2
):
    batch, ada, emile = wise_batch
    page = client.get(reverse("compensation:batch", args=[batch.pk])).content.decode()
    assert "Import Wise" in page and "Wise statement (CSV)" in page
    text = (
        WISE_HEADER
        + f'TRANSFER-101,{DMY},-5.00,EUR,"Sent money to Ada",{ada},95.00,Ada\r\n'
        + f'TRANSFER-102,{DMY},-6.00,EUR,"Sent money to Emile",{emile},89.00,Emile\r\n'
        + f'TRANSFER-103,{DMY},100.00,EUR,"Top-up",,189.00,\r\n'
    )
    html = upload(client, batch, text).content.decode()
    assert "Statement imported: 2 lines paid; 1 other transaction ignored." in html
    batch.refresh_from_db()
    assert batch.status == "paid" and str(batch.paid_at) == f"{TODAY}"
    assert LedgerEntry.objects.filter(state="paid").count() == 2
    event = AuditEvent.objects.get(action="compensation.batch.statement_imported")
    assert event.data["file"] == "Wise statement (CSV)" and event.data["paid"] == 2


def test_a_wise_refund_returns_its_line_which_waits_for_the_next_batch(
    wise_batch, client, participant2
):
    batch, ada, emile = wise_batch
    text = (
        WISE_HEADER
        + f"TRANSFER-101,{DMY},-5.00,EUR,Sent,{ada},95.00,Ada\r\n"
        + f"TRANSFER-104,{DMY},6.00,EUR,Refund,{emile},101.00,Emile\r\n"
    )
    html = upload(client, batch, text).content.decode()
    assert "1 line paid, 1 taken out of the batch (failed or returned)" in html
    assert LedgerEntry.objects.filter(state="paid").count() == 1
    returned = batch.lines.get(participation__user=participant2)
    assert (returned.state, returned.outcome_reason) == ("returned", "returned by the bank")
    assert LedgerEntry.objects.get(participation__user=participant2).state == "approved"


def test_a_malformed_result_file_is_refused_naming_the_line_and_changes_nothing(
    paypal_batch, wise_batch, client
):
    paypal, ada, _ = paypal_batch
    wise, wada, _ = wise_batch
    cases = [
        (paypal, "<Document/>", "This file is not a PayPal Payouts result file: it is XML"),
        (paypal, "a,b,c\r\n1,2,3\r\n", "line 1 lacks the column(s) Reference ID, Status, Amount"),
        (
            paypal,
            PAYPAL_HEADER + f"5TY01,ada@example.org,five,EUR,Completed,{ada},{TODAY},\r\n",
            "Line 2 of the PayPal Payouts result file: “five” is not an amount",
        ),
        (
            paypal,
            PAYPAL_HEADER
            + f"5TY01,ada@example.org,5.00,EUR,Completed,{ada},{TODAY},\r\n"
            + f"5TY01,ada@example.org,5.00,EUR,Completed,{ada},yesterday,\r\n",
            "Line 3 of the PayPal Payouts result file: “yesterday” is not a date",
        ),
        (
            paypal,
            PAYPAL_HEADER + "5TY01,short\r\n",
            "Line 2 of the PayPal Payouts result file has 2 cells",
        ),
        (wise, "\xff\xfe", "not UTF-8"),
        (wise, WISE_HEADER, "No transaction in this Wise statement (CSV) is a payment of batch"),
        (
            wise,
            WISE_HEADER + f"TRANSFER-1,31-02-2026,-5.00,EUR,Sent,{wada},1,Ada\r\n",
            "Line 2 of the Wise statement (CSV): “31-02-2026” is not a date",
        ),
    ]
    for batch, text, message in cases:
        data = text.encode("latin-1") if text == "\xff\xfe" else text.encode()
        response = client.post(
            reverse("compensation:batch_statement", args=[batch.pk]),
            {"file": SimpleUploadedFile("r.csv", data, content_type="text/csv")},
        )
        assert response.status_code == 400, message
        assert message in response.content.decode(), (message, response.content.decode()[:3000])
    assert not LedgerEntry.objects.filter(state="paid").exists()
    assert not OutboxMessage.objects.filter(subject__startswith="You were paid").exists()
    summarise(inputs=len(cases))


def test_a_csv_batch_is_told_to_use_the_reference_amount_date_upload(
    client, participant, participation, award, approve, finance, programme
):
    approve(award(participation, "5.00"))
    client.force_login(finance)
    build_through_the_page(client, programme, method="file")
    batch = PayoutBatch.objects.get()
    response = client.post(
        reverse("compensation:batch_statement", args=[batch.pk]),
        {"file": SimpleUploadedFile("r.csv", PAYPAL_HEADER.encode(), content_type="text/csv")},
    )
    assert response.status_code == 400
    assert "reconciled with the provider&#x27;s CSV" in response.content.decode() or (
        "reconciled with the provider's CSV" in response.content.decode()
    )
