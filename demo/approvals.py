"""Demo outputs: a long backlog under the criticised terms, prompt decisions under the fair ones.

Everything goes through the services (so the audit log and the outbox fill up
as in real use). Only the submission times are moved into the past afterwards,
to show what weeks of a programme look like; that backdating is demo-only.
"""

from datetime import timedelta

from approvals import services
from approvals.models import OutputSubmission, ReasonCode

TITLES = [
    "Night swim",
    "Paper boats on the canal",
    "Grandmother's kitchen, 1974",
    "Glass city at dusk",
    "A fox crossing the motorway",
    "Slow dance in zero gravity",
    "Market morning",
    "The lighthouse keeper",
    "Rain on neon",
    "Origami whale",
    "Desert train",
    "Choir of robots",
]
USES = ["social", "portfolio", "screening", "press", "other"]
VENUES = ["Instagram", "personal site", "Annecy short-film night", "Le Monde interview", "zine"]


def _backdate(submission: OutputSubmission, hours: float) -> OutputSubmission:
    """Demo only: pretend the item was submitted `hours` ago (its clock moves with it)."""
    shift = timedelta(hours=hours)
    fields = {"submitted_at": submission.submitted_at - shift}
    if submission.due_at:
        fields["due_at"] = submission.due_at - shift
        fields["clock_at"] = submission.due_at - shift
    OutputSubmission.objects.filter(pk=submission.pk).update(**fields)
    submission.refresh_from_db()
    return submission


def _submit(user, programme, i, **extra):
    values = {
        "title": TITLES[i % len(TITLES)],
        "prompt": f"{TITLES[i % len(TITLES)].lower()}, cinematic, 24 fps, take {i}",
        "intended_use": USES[i % len(USES)],
        "intended_venue": VENUES[i % len(VENUES)],
        "url": f"https://media.example.org/{programme.slug}/{user.pk}/{i}.mp4",
    }
    values.update(extra)
    return services.submission_create(actor=user, programme=programme, **values)


def _criticised_backlog(ctx, reason: dict) -> None:
    """The criticised programme: every output needs approval and nothing says by when."""
    reviewer, criticised = ctx["reviewer"], ctx["criticised"]
    crit_people = [ctx["participant"], ctx["participant2"], *ctx["testers"][0::2]]
    for i in range(36):
        person = crit_people[i % len(crit_people)]
        s = _backdate(_submit(person, criticised, i), hours=24 * (2 + (i * 37) % 45))
        if i % 9 == 3:
            services.submission_decide(submission=s, actor=reviewer, outcome="approved")
        elif i % 9 == 5:
            services.submission_decide(
                submission=s,
                actor=reviewer,
                outcome="rejected",
                reason=reason[criticised.pk]["unreleased-feature"],
                note="Shows the editing timeline, which is not announced.",
            )
        elif i % 9 == 7:
            services.submission_decide(
                submission=s,
                actor=reviewer,
                outcome="changes_requested",
                reason=reason[criticised.pk]["brand"],
                note="Remove the product logo in the corner.",
            )
        elif i == 8:
            services.submission_withdraw(actor=person, submission=s)
        # everything else stays pending: the backlog the artists protested about


def _decide_fair(s, *, i: int, kind: int, person, ctx, reason: dict) -> None:
    """What happened to the fair programme's item `i` (of `kind`), decided within 72 hours."""
    manager, reviewer, fair = ctx["manager"], ctx["reviewer"], ctx["fair"]
    if kind in (2, 3):
        services.submission_decide(
            submission=s, actor=reviewer, outcome="approved", note="Lovely work."
        )
    elif kind == 4:
        services.submission_decide(
            submission=s,
            actor=reviewer,
            outcome="rejected",
            reason=reason[fair.pk]["real-person"],
            note="The face resembles a well-known actor.",
        )
        if i < 20:
            services.submission_appeal(
                actor=person,
                submission=s,
                note="The face is generated; the prompt names no one.",
            )
        if i < 10:
            services.submission_decide(
                submission=s,
                actor=manager,
                outcome="approved",
                note="Appeal upheld: no real person is depicted.",
            )
    elif kind == 5:
        services.submission_decide(
            submission=s,
            actor=reviewer,
            outcome="changes_requested",
            reason=reason[fair.pk]["confidential"],
            note="Blur the version number in the frame.",
        )
        if i < 20:
            services.submission_resubmit(
                actor=person,
                previous=s,
                title=f"{s.title} (blurred)",
                intended_use=s.intended_use,
                url=s.url + "?v=2",
            )
    elif kind == 6 and i < 20:
        services.submission_claim(actor=reviewer, submission=s)
    # kinds 6 (later), 7, 8, 9: pending, with time left on the clock


def _fair_decisions(ctx, reason: dict) -> None:
    """The fair programme: decided within 72 hours, deemed approved when the clock ran out."""
    fair = ctx["fair"]
    fair_people = [ctx["participant"], ctx["participant2"], *ctx["testers"][1::2]]
    for i in range(40):
        person = fair_people[i % len(fair_people)]
        kind = i % 10
        if kind == 0:
            s = _submit(person, fair, i, intended_use="private")  # approved at once
            continue
        if kind == 1:
            s = _backdate(_submit(person, fair, i), hours=80)
            services.submission_deem_approved(submission=s)
            continue
        # kind 7 falls due within the next hours; the rest have time left or were decided
        hours = 66 + i // 10 if kind == 7 else 2 + (i * 7) % 60
        s = _backdate(_submit(person, fair, i), hours=hours)
        _decide_fair(s, i=i, kind=kind, person=person, ctx=ctx, reason=reason)


def seed(ctx):
    if OutputSubmission.objects.exists():
        return
    manager = ctx["manager"]
    criticised, fair = ctx["criticised"], ctx["fair"]
    for programme in (criticised, fair, ctx["redteam"]):
        services.reason_codes_add_defaults(actor=manager, programme=programme)
    reason = {
        programme.pk: {r.code: r for r in ReasonCode.objects.filter(programme=programme)}
        for programme in (criticised, fair)
    }
    _criticised_backlog(ctx, reason)
    _fair_decisions(ctx, reason)
    return None
