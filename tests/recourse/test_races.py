"""Two people answering one contest at once on PostgreSQL: exactly one answer lands, and the
decision's effect is applied once."""

import threading

import pytest
from django.db import connection

from compensation.models import LedgerEntry
from core.errors import DomainError
from feedback.models import Ticket
from recourse import services
from tests.factories import make_staff


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
