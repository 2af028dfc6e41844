"""The demo's recourse: one contest won, one lost, one waiting, each answered by someone else."""

from demo import base as core_demo
from demo import feedback as demo_feedback
from demo import recourse as demo
from feedback.models import Ticket
from recourse.models import Contest


def test_the_demo_has_one_contest_won_and_one_lost_answered_by_the_manager(db):
    ctx = core_demo.seed()
    demo_feedback.seed(ctx)
    demo.seed(ctx)
    won = Contest.objects.get(status="upheld")
    lost = Contest.objects.get(status="dismissed")
    assert won.ticket.status == Ticket.Status.ACCEPTED
    assert lost.ticket.status in Ticket.CONTESTABLE
    for contest in (won, lost):
        assert contest.decided_by == ctx["manager"] != contest.decision_maker
    assert Contest.objects.filter(status="open", kind="hours").count() == 1
    count = Contest.objects.count()
    demo.seed(ctx)
    assert Contest.objects.count() == count
