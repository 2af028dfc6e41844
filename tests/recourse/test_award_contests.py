"""Recourse of an award never made (issue 34): terms that promise a grant (or a prize) and no
award made; the tester contests that from *My contests*; a manager answers (never a reviewer,
never the tester); upheld, the award is made now (a grant entry, audited, notified)."""

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from compensation.models import LedgerEntry
from core.models import OutboxMessage
from participants.models import Consent
from programs.models import TermsVersion
from recourse.models import Contest
from tests.factories import ProgrammeFactory, TermsFactory, make_participant, make_staff

pytestmark = pytest.mark.django_db

WHY = {"reason": "terms", "text": "The terms promise every tester a 150 EUR grant.", "evidence": ""}


@pytest.fixture
def granting(manager, reviewer):
    programme = TermsFactory(
        programme=ProgrammeFactory(slug="grants", name="Grants"),
        pay_model=TermsVersion.PayModel.GRANT,
        hourly_rate=None,
        grant_amount=Decimal("150.00"),
        contest_days=5,
    ).programme
    make_staff(programme, "manager", user=manager)
    make_staff(programme, "reviewer", user=reviewer)
    return programme


def test_an_award_never_made_is_contested_and_a_manager_makes_it(
    as_user, granting, manager, reviewer
):
    tester = make_participant(granting, email="granted@example.com")
    consent = Consent.objects.get(participation__user=tester)
    client = as_user(tester)
    mine = client.get("/contests/").content.decode()
    assert "Awards your terms promise" in mine
    assert f'href="/contests/new/award/{consent.pk}/"' in mine
    form = client.get(f"/contests/new/award/{consent.pk}/").content.decode()
    assert "no award made" in form and "150.00 EUR" in form
    filed = client.post(f"/contests/new/award/{consent.pk}/", WHY)
    contest = Contest.objects.get()
    assert filed.url == f"/contests/{contest.pk}/"
    assert (contest.kind, contest.consent, contest.decision_maker) == ("award", consent, None)
    assert contest.due_at is not None
    # A reviewer does not answer it (awards are a manager's); the tester neither.
    refused = as_user(reviewer).post(
        f"/contests/{contest.pk}/", {"outcome": "upheld", "answer": "Yes", "owed": "150"}
    )
    assert refused.status_code in (403, 404)
    assert (
        f"/contests/{contest.pk}/" not in as_user(reviewer).get("/contests/open/").content.decode()
    )
    keeper = as_user(manager)
    assert f"/contests/{contest.pk}/" in keeper.get("/contests/open/").content.decode()
    done = keeper.post(
        f"/contests/{contest.pk}/",
        {"outcome": "upheld", "answer": "You are right; the grant is made.", "owed": "150.00"},
    )
    assert done.status_code == 302
    contest.refresh_from_db()
    assert (contest.status, contest.amount_owed) == ("upheld", Decimal("150.00"))
    grant = LedgerEntry.objects.get(participation__user=tester)
    assert (grant.kind, grant.amount, grant.currency, grant.created_by) == (
        "grant",
        Decimal("150.00"),
        "EUR",
        manager,
    )
    assert AuditEvent.objects.filter(action="compensation.entry.accrued", actor=manager).exists()
    assert OutboxMessage.objects.filter(recipient=tester, subject__startswith="Grant of 150.00")
    page = as_user(tester).get(f"/contests/{contest.pk}/").content.decode()
    assert "Award made" in page
    # Contested and won: nothing is left to contest.
    again = as_user(tester).post(f"/contests/new/award/{consent.pk}/", WHY)
    assert again.status_code == 400 and "was won" in again.content.decode()


def test_terms_that_promise_no_award_leave_nothing_to_ask_for(as_user, programme, participant):
    consent = Consent.objects.get(participation__user=participant)
    client = as_user(participant)
    assert "Awards your terms promise" not in client.get("/contests/").content.decode()
    refused = client.post(f"/contests/new/award/{consent.pk}/", WHY)
    assert refused.status_code == 400
    assert "promise no grant or prize" in refused.content.decode()
    assert not Contest.objects.exists()
