"""Demo publicity: the criticised programme uses testers' films in its launch video,
unasked and unpaid, and picks 3 winners for a screening among all its outputs; the fair
programme asks first and pays 200 EUR a use. One approved output of participant@example.com
in the fair programme is left for the manager to ask about."""

from datetime import timedelta

from django.utils import timezone

from approvals.models import OutputSubmission
from publicity import services
from publicity.models import Competition, CompetitionEntry, PromotionalUse

APPROVED = OutputSubmission.APPROVED_STATES


def _name_winners(criticised, winners) -> None:
    """Testers choose how they are named: the results show the first winner by the name they
    chose, the second as unnamed at their wish, the third as "a tester" (no choice made)."""
    first, second = (
        CompetitionEntry.objects.select_related("entrant").get(pk=pk) for pk in winners[:2]
    )
    name = first.entrant.first_name or "Winner"
    services.credit_name_set(
        actor=first.entrant, programme=criticised, display_name=name, credit_name=f"Film by {name}"
    )
    if second.entrant_id != first.entrant_id:
        services.credit_name_set(actor=second.entrant, programme=criticised, unnamed=True)


def seed(ctx):
    if PromotionalUse.objects.exists() or Competition.objects.exists():
        return
    manager, reviewer = ctx["manager"], ctx["reviewer"]
    criticised, fair = ctx["criticised"], ctx["fair"]
    today = timezone.localdate()

    # The criticised programme: its terms include promotion, unpaid and without names.
    for submission in OutputSubmission.objects.filter(
        programme=criticised, status__in=APPROVED
    ).order_by("pk")[:3]:
        services.use_request(
            actor=manager,
            submission=submission,
            channel="launch_video",
            period_start=today,
            period_end=today + timedelta(days=365),
            territory="Worldwide",
        )

    # A competition that picks a few films among many: the odds are published.
    competition = services.competition_create(
        actor=manager,
        programme=criticised,
        title="Screening selection",
        criteria="Films that best show what the model can do, chosen for a public screening.",
        prize_count=3,
        prize_amount="100.00",
        judges="The programme's reviewers",
        entry_deadline=timezone.now() + timedelta(days=1),
        results_by=timezone.now() + timedelta(days=2),
    )
    # Only outputs approved for a public use may enter (a competition is public).
    standing = OutputSubmission.objects.filter(programme=criticised, status__in=APPROVED).exclude(
        intended_use=OutputSubmission.IntendedUse.PRIVATE
    )
    for submission in standing.select_related("participant").order_by("pk"):
        services.competition_enter(
            actor=submission.participant, competition=competition, submission=submission
        )
    # The deadline has passed by the time the reviewers judge (demo history).
    Competition.objects.filter(pk=competition.pk).update(
        entry_deadline=timezone.now() - timedelta(minutes=1)
    )
    winners = list(
        CompetitionEntry.objects.filter(competition=competition)
        .order_by("pk")
        .values_list("pk", flat=True)[:3]
    )
    _name_winners(criticised, winners)
    services.competition_publish(actor=reviewer, competition=competition, winners=winners)

    # The fair programme asks, and pays 200 EUR a use with the tester's name.
    approved = list(
        OutputSubmission.objects.filter(
            programme=fair, status__in=APPROVED, participant=ctx["participant2"]
        ).order_by("pk")[:1]
    )
    for submission in approved:
        name = submission.participant.get_full_name() or "the tester"
        # The tester's own credit name is the use's credit line.
        services.credit_name_set(
            actor=submission.participant, programme=fair, credit_name=f"Film by {name}"
        )
        use = services.use_request(
            actor=manager,
            submission=submission,
            channel="launch_video",
            period_start=today,
            period_end=today + timedelta(days=90),
            territory="Worldwide",
        )
        services.use_answer(actor=submission.participant, use=use, accept=True)
