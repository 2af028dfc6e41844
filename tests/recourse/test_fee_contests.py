"""Recourse of a promotional-use fee (issue 34): the tester contests the fee set for a use of
their output from the promotional-uses page; finance or a manager other than who set it
answers, and a won contest states the fee owed: the difference accrues to the statement."""

from decimal import Decimal

import pytest

from audit.describe import VERBS
from audit.models import AuditEvent
from compensation.models import LedgerEntry
from core.models import OutboxMessage
from recourse.models import Contest
from tests.recourse.test_api import client_of

pytestmark = pytest.mark.django_db

WHY = {"reason": "terms", "text": "My terms promise 300 EUR a use.", "evidence": ""}


def answer(client, contest, outcome, owed=""):
    return client.post(
        f"/contests/{contest.pk}/", {"outcome": outcome, "answer": "We checked.", "owed": owed}
    )


def test_the_tester_contests_a_fee_from_the_promotional_uses_page(as_user, use, participant):
    tester = as_user(participant)
    assert f'href="/contests/new/fee/{use.pk}/"' in tester.get("/publicity/uses/").content.decode()
    page = tester.get(f"/contests/new/fee/{use.pk}/").content.decode()
    assert "fee set at 200.00 EUR" in page

    response = tester.post(f"/contests/new/fee/{use.pk}/", WHY)

    contest = Contest.objects.get()
    assert response.url == f"/contests/{contest.pk}/"
    assert (contest.kind, contest.promotional_use, contest.decision.action) == (
        "fee",
        use,
        "publicity.use.requested",
    )
    assert "promotional use" in tester.get("/contests/").content.decode()


def test_who_set_the_fee_and_non_money_staff_are_refused_as_answerers(
    as_user, use, participant, manager, reviewer
):
    as_user(participant).post(f"/contests/new/fee/{use.pk}/", WHY)
    contest = Contest.objects.get()
    assert contest.decision_maker == manager
    assert answer(as_user(manager), contest, "upheld", "300").status_code == 403
    assert answer(as_user(reviewer), contest, "upheld", "300").status_code == 403
    contest.refresh_from_db()
    assert contest.status == "open"
    assert not LedgerEntry.objects.filter(description__contains="after a contest").exists()


def test_a_won_contest_owes_the_difference_on_the_statement(as_user, use, participant, finance):
    as_user(participant).post(f"/contests/new/fee/{use.pk}/", WHY)
    contest = Contest.objects.get()
    staff = as_user(finance)
    assert f'href="/contests/{contest.pk}/"' in staff.get("/contests/open/").content.decode()
    missing = answer(staff, contest, "upheld")
    assert missing.status_code == 400
    assert "State the fee the terms promise" in missing.content.decode()
    too_low = answer(staff, contest, "upheld", "150")
    assert too_low.status_code == 400 and "above it" in too_low.content.decode()
    assert Contest.objects.get().status == "open"

    assert answer(staff, contest, "upheld", "300").status_code == 302

    contest.refresh_from_db()
    assert (contest.status, contest.amount_owed) == ("upheld", Decimal("300.00"))
    owed = LedgerEntry.objects.get(source_type="publicity.promotionaluse.fee")
    assert (owed.kind, owed.amount, owed.created_by) == ("promotion", Decimal("100.00"), finance)
    statement = as_user(participant).get("/statement/").content.decode()
    assert "Promotional-use fee owed after a contest" in statement and "100.00" in statement
    assert "publicity.use.fee_owed" in VERBS
    assert AuditEvent.objects.filter(action="publicity.use.fee_owed").count() == 1
    assert OutboxMessage.objects.filter(
        recipient=participant, subject__contains="promotional use"
    ).exists()
    again = as_user(participant).post(f"/contests/new/fee/{use.pk}/", WHY)
    assert again.status_code == 400


def test_a_lost_contest_leaves_the_fee_and_owes_nothing(as_user, use, participant, finance):
    as_user(participant).post(f"/contests/new/fee/{use.pk}/", WHY)
    contest = Contest.objects.get()
    assert answer(as_user(finance), contest, "dismissed").status_code == 302
    contest.refresh_from_db()
    assert (contest.status, contest.amount_owed) == ("dismissed", None)
    assert not LedgerEntry.objects.filter(source_type="publicity.promotionaluse.fee").exists()
    page = as_user(participant).get(f"/contests/{contest.pk}/").content.decode()
    assert "Ask a manager for the final word" in page
    assert f'href="/contests/new/fee/{use.pk}/"' in page


def test_someone_elses_use_cannot_be_contested(as_user, use, participant, finance):
    assert as_user(finance).post(f"/contests/new/fee/{use.pk}/", WHY).status_code == 404
    assert Contest.objects.count() == 0


def test_a_fee_is_contested_and_answered_through_the_api(use, participant, manager, finance):
    body = {"promotional_use": use.pk, "reason": "terms", "text": "Terms say 300."}
    made = client_of(participant).post("/api/v1/contests/", body, format="json")
    assert made.status_code == 201, made.content
    assert (made.json()["kind"], made.json()["promotional_use"]) == ("fee", use.pk)
    pk = made.json()["id"]
    won = {"outcome": "upheld", "answer": "Yes.", "owed": "300.00"}
    by_maker = client_of(manager).post(f"/api/v1/contests/{pk}/answer/", won, format="json")
    assert by_maker.status_code == 403

    done = client_of(finance).post(f"/api/v1/contests/{pk}/answer/", won, format="json")

    assert done.status_code == 200 and done.json()["amount_owed"] == "300.00"
    owed = LedgerEntry.objects.get(source_type="publicity.promotionaluse.fee")
    assert owed.amount == Decimal("100.00")
