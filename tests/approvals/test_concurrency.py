"""Two reviewers deciding the same output at the same moment: exactly one decision lands."""

import threading

import pytest
from django.db import connection, connections

from approvals import services
from approvals.models import OutputSubmission, ReviewDecision
from core.errors import DomainError
from programs.models import ProgrammeRole
from tests.conftest import summarise
from tests.factories import make_participant, make_staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 10


def test_two_reviewers_deciding_the_same_item_at_once_leave_exactly_one_decision(programme):
    participant = make_participant(programme, email="racer@example.com")
    first = make_staff(programme, ProgrammeRole.Role.REVIEWER, email="first@example.com")
    second = make_staff(programme, ProgrammeRole.Role.REVIEWER, email="second@example.com")
    refused = 0
    for i in range(ROUNDS):
        s = services.submission_create(
            actor=participant,
            programme=programme,
            title=f"Race {i}",
            intended_use="social",
            url=f"https://example.org/race/{i}",
        )
        barrier = threading.Barrier(2)
        outcomes = []

        def decide(reviewer, submission_id=s.pk, barrier=barrier, outcomes=outcomes):
            try:
                submission = OutputSubmission.objects.get(pk=submission_id)
                barrier.wait()
                services.submission_decide(
                    submission=submission, actor=reviewer, outcome="approved"
                )
                outcomes.append("decided")
            except DomainError:
                outcomes.append("refused")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=decide, args=(r,)) for r in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["decided", "refused"], outcomes
        assert ReviewDecision.objects.filter(submission_id=s.pk).count() == 1
        refused += outcomes.count("refused")
    total = ReviewDecision.objects.filter(submission__programme=programme).count()
    summarise(inputs=2 * ROUNDS, doubled=total - ROUNDS)
    print(
        f"\nFIGURE concurrent review decisions: {ROUNDS} races of 2 reviewers, "
        f"{total} decisions landed, {refused} refused, 0 doubles"
    )
    assert total == ROUNDS
    connection.close()
