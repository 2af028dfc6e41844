"""Demo recourse: in the fair programme two closed findings are contested by their
reporters and answered by the manager, who did not close them: one contest won (the finding
accepted), one lost (with the way to ask for the final word); and one disputed entry of
hours (participant@example.com's where they have one) left contested, waiting."""

from feedback.models import Ticket
from labour.models import TimeEntry
from recourse import services
from recourse.models import Contest


def seed(ctx):
    if Contest.objects.exists():
        return
    manager, fair = ctx["manager"], ctx["fair"]
    closed = Ticket.objects.filter(programme=fair, status__in=Ticket.CONTESTABLE).order_by("pk")
    outcomes = [
        (True, "misread", "You are right: it reproduces on the build you named. Accepted."),
        (
            False,
            "not-a-duplicate",
            "Both describe the same freeze at frame 48; it stays a "
            "duplicate and the original counts for you both.",
        ),
    ]
    for ticket, (upheld, reason, answer) in zip(closed, outcomes, strict=False):
        contest = services.contest_open(
            actor=ticket.reporter,
            ticket=ticket,
            reason=reason,
            text="The decision missed what I reported; the steps are in the ticket.",
            evidence="Reproduced three times on 2 December, screen recording attached.",
        )
        services.contest_decide(actor=manager, contest=contest, upheld=upheld, answer=answer)
    disputed = sorted(
        TimeEntry.objects.filter(programme=fair, status=TimeEntry.Status.DISPUTED),
        key=lambda e: (e.user_id != ctx["participant"].pk, e.pk),
    )[:1]
    for entry in disputed:
        services.contest_open(
            actor=entry.user,
            entry=entry,
            reason="evidence-missed",
            text="The session was the team call moved to that day; the invitation shows it.",
        )
