"""Races on PostgreSQL: two people answering one contest at once (exactly one answer lands,
the decision's effect applied once), and one contest filed twice at once (one is made)."""

import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from compensation.models import LedgerEntry
from core.errors import DomainError
from feedback.models import Ticket
from recourse import services
from recourse.models import Contest
from tests.factories import make_staff
from tests.recourse.test_fee_contests import WHY


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_answers_racing_one_contest_land_once(redteam, closed_ticket, teamer, manager):
    second = make_staff(redteam, "reviewer", email="second@example.com")
    contest = services.contest_open(
        actor=teamer, ticket=closed_ticket, reason="other", text="It reproduces."
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def answer(person, upheld):
        barrier.wait()
        try:
            services.contest_decide(actor=person, contest=contest, upheld=upheld, answer="Mine.")
            outcomes.append("answered")
        except DomainError as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=answer, args=(manager, True)),
        threading.Thread(target=answer, args=(second, True)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == [f"Contest #{contest.pk} was already answered.", "answered"]
    contest.refresh_from_db()
    assert contest.status == "upheld"
    closed_ticket.refresh_from_db()
    assert closed_ticket.status == Ticket.Status.ACCEPTED
    assert LedgerEntry.objects.filter(kind="bounty").count() == 1
    print("\nFIGURE contest answer race: 2 concurrent answers, 1 landed, 1 bounty accrued")


def _race(twice):
    """Run `twice()` in two threads released together; what each one ended with."""
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        barrier.wait()
        try:
            outcomes.append(twice())
        except DomainError as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_contest_of_a_fee_posted_twice_at_once_makes_one_contest(
    use, participant, settings
):
    from django.test import Client

    def post():
        client = Client()
        client.force_login(participant)
        response = client.post(f"/contests/new/fee/{use.pk}/", WHY)
        return response.status_code

    outcomes = _race(post)

    assert Contest.objects.filter(promotional_use=use).count() == 1
    assert sorted(outcomes) == [302, 400]
    assert AuditEvent.objects.filter(action="recourse.contest.opened").count() == 1
    print("\nFIGURE contest filing race: 2 concurrent posts of one fee contest, 1 contest made")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_contest_of_a_ticket_filed_twice_at_once_makes_one_contest(closed_ticket, teamer):
    def file():
        return services.contest_open(
            actor=teamer, ticket=closed_ticket, reason="other", text="It reproduces."
        ).pk

    outcomes = _race(file)

    made = Contest.objects.get(ticket=closed_ticket)
    assert made.pk in outcomes
    assert [o for o in outcomes if o != made.pk] == [
        "This decision is already contested; wait for the answer to your contest."
    ]
