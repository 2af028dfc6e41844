"""Recourse of a payment that failed or came back (issue 34): the provider's result file
takes a line out of its batch; the payee contests that outcome from their statement; finance
or a manager other than who imported the file answers; a won contest owes what the failure
cost the payee, a new entry approved and paid like any other, audited and notified."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.describe import VERBS
from audit.models import AuditEvent
from compensation import services as pay
from compensation.models import LedgerEntry, PayoutBatch, PayoutLine
from core.models import OutboxMessage
from participants.models import Participation
from recourse.models import Contest
from tests.compensation.test_payouts import build_through_the_page, give_details
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate().isoformat()
HEADER = "Transaction ID,Recipient,Amount,Currency,Status,Reference ID,Date,Note\r\n"
WHY = {
    "reason": "terms",
    "text": "My PayPal address was right; the bank charged me 4 EUR.",
    "evidence": "",
}


@pytest.fixture
def failed_line(client, participant, finance, manager, programme):
    """A PayPal batch of one line, which the provider's result file says FAILED (imported
    by `finance`, the decision's maker)."""
    participation = Participation.objects.get(user=participant, programme=programme)
    client.force_login(participant)
    give_details(client, method="paypal", email="ada@example.org")
    prize = pay.award_create(
        actor=manager,
        participation=participation,
        kind="prize",
        amount=Decimal("25.00"),
        currency="EUR",
        reason="Best finding",
    )
    pay.entries_approve(actor=finance, entry_ids=[prize.pk])
    client.force_login(finance)
    build_through_the_page(client, programme, method="paypal")
    batch = PayoutBatch.objects.get(method="paypal")
    line = batch.lines.get()
    text = HEADER + f"5TY01,ada@example.org,25.00,EUR,FAILED,{line.end_to_end_id},{TODAY},\r\n"
    client.post(
        reverse("compensation:batch_statement", args=[batch.pk]),
        {"file": SimpleUploadedFile("r.csv", text.encode(), content_type="text/csv")},
    )
    line.refresh_from_db()
    assert line.state == PayoutLine.State.FAILED
    client.logout()
    return line


def test_the_payee_contests_a_failed_payment_from_the_statement_and_wins_what_it_cost(
    as_user, failed_line, participant, finance, programme
):
    tester = as_user(participant)
    statement = tester.get(reverse("compensation:statement")).content.decode()
    assert f'href="/contests/new/payment/{failed_line.pk}/"' in statement
    form = tester.get(f"/contests/new/payment/{failed_line.pk}/").content.decode()
    assert "25.00 EUR" in form and "FAILED" in form
    filed = tester.post(f"/contests/new/payment/{failed_line.pk}/", WHY)
    contest = Contest.objects.get()
    assert filed.url == f"/contests/{contest.pk}/"
    assert (contest.kind, contest.payout_line, contest.decision.action) == (
        "payout",
        failed_line,
        "compensation.line.failed",
    )
    assert contest.decision_maker == finance
    # Finance who imported the file is not offered the answer, and is refused it.
    maker = as_user(finance)
    page = maker.get(f"/contests/{contest.pk}/").content.decode()
    assert 'name="outcome"' not in page
    refused = maker.post(
        f"/contests/{contest.pk}/", {"outcome": "upheld", "answer": "Fine.", "owed": "4.00"}
    )
    assert refused.status_code == 403
    assert "someone else must answer" in refused.content.decode()
    # Someone else of finance answers: upholding without an amount changes nothing.
    other = make_staff(programme, "finance", email="finance2@example.com")
    answerer = as_user(other)
    assert f"/contests/{contest.pk}/" in answerer.get("/contests/open/").content.decode()
    page = answerer.get(f"/contests/{contest.pk}/").content.decode()
    assert 'name="owed"' in page
    missing = answerer.post(f"/contests/{contest.pk}/", {"outcome": "upheld", "answer": "Ours."})
    assert missing.status_code == 400
    assert "State what the failed payment cost the tester" in missing.content.decode()
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()
    done = answerer.post(
        f"/contests/{contest.pk}/",
        {"outcome": "upheld", "answer": "The provider erred; we owe the charge.", "owed": "4.00"},
    )
    assert done.status_code == 302
    contest.refresh_from_db()
    assert (contest.status, contest.decided_by, contest.amount_owed) == (
        "upheld",
        other,
        Decimal("4.00"),
    )
    owed = LedgerEntry.objects.get(kind="adjustment")
    assert (owed.amount, owed.state, owed.created_by) == (Decimal("4.00"), "accrued", other)
    assert owed.participation.user == participant
    # The prize itself is owed again whatever the contest says: back to approved, no batch.
    prize = LedgerEntry.objects.get(kind="prize")
    assert (prize.state, prize.batch_id) == ("approved", None)
    assert AuditEvent.objects.filter(action="recourse.contest.decided", object_id=str(contest.pk))
    assert AuditEvent.objects.filter(
        action="compensation.entry.accrued", object_id=str(owed.pk), actor=other
    ).exists()
    assert OutboxMessage.objects.filter(
        recipient=participant, subject__startswith="4.00 EUR owed to you for a failed payment"
    ).exists()
    assert OutboxMessage.objects.filter(
        recipient=participant, subject__contains="Won: the decision was changed"
    ).exists()
    mine = as_user(participant).get(f"/contests/{contest.pk}/").content.decode()
    assert "Owed for the failed payment" in mine and "4.00 EUR" in mine
    # The answerer may not approve the entry they made (maker–checker on the ledger).
    assert not LedgerEntry.objects.restrict(other, "approve").filter(pk=owed.pk).exists()
    assert "recourse.contest.decided" in VERBS


def test_only_a_failed_or_returned_payment_is_contested_once_then_a_manager_s_final_word(
    as_user, failed_line, participant, programme, manager
):
    tester = as_user(participant)
    tester.post(f"/contests/new/payment/{failed_line.pk}/", WHY)
    again = tester.post(f"/contests/new/payment/{failed_line.pk}/", WHY)
    assert again.status_code == 400
    assert "already contested" in again.content.decode()
    contest = Contest.objects.get()
    other = make_staff(programme, "finance", email="finance2@example.com")
    as_user(other).post(
        f"/contests/{contest.pk}/", {"outcome": "dismissed", "answer": "Your address was wrong."}
    )
    tester = as_user(participant)
    page = tester.get(f"/contests/{contest.pk}/").content.decode()
    assert f'href="/contests/new/payment/{failed_line.pk}/"' in page  # the final word
    tester.post(f"/contests/new/payment/{failed_line.pk}/", WHY)
    final = Contest.objects.get(round=2)
    assert final.kind == "payout"
    # A paid line, and someone else's line, cannot be contested.
    PayoutLine.objects.filter(pk=failed_line.pk).update(state="paid")
    Contest.objects.all().delete()
    refused = tester.post(f"/contests/new/payment/{failed_line.pk}/", WHY)
    assert "only a payment that failed or came back can be contested" in refused.content.decode()
    assert as_user(manager).get(f"/contests/new/payment/{failed_line.pk}/").status_code == 404


def test_a_failed_payment_is_contested_and_answered_through_the_api(
    failed_line, participant, finance, programme
):
    from tests.recourse.test_api import client_of

    body = {"payout_line": failed_line.pk, "reason": "terms", "text": "My details were right."}
    made = client_of(participant).post("/api/v1/contests/", body, format="json")
    assert made.status_code == 201, made.content
    assert (made.json()["kind"], made.json()["payout_line"]) == ("payout", failed_line.pk)
    pk = made.json()["id"]
    answer = {"outcome": "upheld", "answer": "Our provider's error.", "owed": "3.50"}
    by_maker = client_of(finance).post(f"/api/v1/contests/{pk}/answer/", answer, format="json")
    assert by_maker.status_code == 403
    other = make_staff(programme, "finance", email="finance2@example.com")
    done = client_of(other).post(f"/api/v1/contests/{pk}/answer/", answer, format="json")
    assert done.status_code == 200 and done.json()["amount_owed"] == "3.50"
    assert LedgerEntry.objects.get(kind="adjustment").amount == Decimal("3.50")
