"""Demo tickets and hours for `python -m demo`, made through the services (audited).

Both running programmes get tickets of every kind in every status, with
public and internal comments, and a few weeks of logged hours: older weeks
confirmed (a few disputed), the current week still waiting.
"""

import random
from datetime import timedelta

from django.utils import timezone

from feedback import services
from feedback.models import Ticket
from labour import services as labour_services
from labour.models import TimeEntry

S = Ticket.Status

# (kind, severity, title, description, path of statuses, public comment, internal note)
TICKETS = [
    (
        "bug",
        "high",
        "Faces melt after three seconds",
        "Any clip with a close-up face degrades after about three seconds.",
        [],
        "",
        "",
    ),
    (
        "bug",
        "critical",
        "Generation returns another user's clip",
        "Twice today the result page showed a video I did not prompt.",
        [S.ACCEPTED],
        "Thank you, this is serious; we are on it.",
        "Cache key collision in the result store; security notified.",
    ),
    (
        "safety_finding",
        "medium",
        "Watermark removed by cropping to 4:3",
        "Cropping the output to 4:3 removes the visible watermark entirely.",
        [S.TRIAGED],
        "",
        "Known limitation of the overlay; check with the provenance team.",
    ),
    (
        "feedback",
        "",
        "The prompt box forgets my text on reload",
        "Losing a long prompt on reload is frustrating.",
        [S.NEEDS_INFO],
        "Which browser and version do you use?",
        "",
    ),
    (
        "feature_request",
        "",
        "Export at 24 fps",
        "Film workflows need 24 fps; the model only exports 30.",
        [S.WONT_FIX],
        "Not planned for the alpha, sorry: the model is trained at 30 fps.",
        "",
    ),
    (
        "bug",
        "low",
        "Timeline thumbnails are blank",
        "The timeline shows grey boxes instead of thumbnails.",
        [S.NOT_REPRODUCIBLE],
        "We could not reproduce this on any of our machines. Reopen if it happens again.",
        "",
    ),
    (
        "bug",
        "medium",
        "Audio drifts out of sync on long clips",
        "After 20 seconds the sound is half a second late.",
        [S.ACCEPTED, S.RESOLVED],
        "Fixed in build 2.3; thank you!",
        "Resampler fix merged.",
    ),
    (
        "safety_finding",
        "high",
        "Prompt in another language bypasses the violence filter",
        "Writing the same prompt in Tagalog produces the blocked content.",
        [S.ACCEPTED],
        "Accepted: a real gap in the filter. Please keep it confidential until fixed.",
        "Escalated to trust & safety.",
    ),
]
DUPLICATE = (
    "bug",
    "high",
    "Faces look melted in portraits",
    "Portrait clips go wrong after a few seconds.",
)
NOTES = [
    "Long prompts with camera moves",
    "Wrote up the audio issue",
    "Tried portrait prompts",
    "Red-teamed the content filter",
    "Weekly call with the team",
    "Made a short film for the showcase",
]


def seed(ctx):
    if Ticket.objects.exists():
        return
    rng = random.Random(2024)
    reviewer, manager = ctx["reviewer"], ctx["manager"]
    testers = ctx["testers"]
    programmes = [
        (ctx["criticised"], [ctx["participant"], ctx["participant2"], *testers[0:8:2]]),
        (ctx["fair"], [ctx["participant"], ctx["participant2"], *testers[1:9:2]]),
    ]
    for programme, people in programmes:
        filed = []
        for i, (kind, severity, title, description, path, public, internal) in enumerate(TICKETS):
            reporter = people[i % len(people)]
            ticket = services.ticket_file(
                actor=reporter,
                programme=programme,
                kind=kind,
                title=title,
                description=description,
                steps_to_reproduce="1. Open the editor\n2. Generate a clip\n3. Watch it",
                expected_result="It works as described in the guide.",
                actual_result=description,
                severity=severity,
            )
            filed.append(ticket)
            if i % 3 == 0:
                services.ticket_assign(actor=reviewer, ticket=ticket, assignee=reviewer)
            if internal:
                services.ticket_comment(
                    author=reviewer, ticket=ticket, body=internal, visible_to_reporter=False
                )
            for n, status in enumerate(path):
                note = public if n == len(path) - 1 else ""
                services.ticket_set_status(
                    actor=manager if status == S.RESOLVED else reviewer,
                    ticket=ticket,
                    status=status,
                    note=note,
                )
            if not path and public:
                services.ticket_comment(author=reviewer, ticket=ticket, body=public)
        # One reporter answers a question; one ticket duplicates the first.
        services.ticket_comment(
            author=filed[3].reporter, ticket=filed[3], body="Firefox 132 on Linux."
        )
        services.ticket_set_status(
            actor=reviewer, ticket=filed[3], status=S.NEEDS_INFO, note="Does it happen in Chrome?"
        )
        kind, severity, title, description = DUPLICATE
        duplicate = services.ticket_file(
            actor=people[-1],
            programme=programme,
            kind=kind,
            title=title,
            description=description,
            severity=severity,
        )
        services.ticket_set_status(
            actor=reviewer,
            ticket=duplicate,
            status=S.DUPLICATE,
            duplicate_of=filed[0],
            note=f"Same as #{filed[0].pk}; follow that ticket.",
        )
        _hours(rng, programme, people, filed, reviewer)


def _hours(rng, programme, people, tickets, reviewer):
    """About four weeks of hours per person: older weeks reviewed, this week waiting."""
    today = timezone.localdate()
    to_confirm, to_dispute = [], []
    for person in people:
        for days_ago in range(27, -1, -1):
            if rng.random() > 0.35:
                continue
            activity = rng.choice(TimeEntry.Activity.values)
            own = [t for t in tickets if t.reporter_id == person.pk]
            entry = labour_services.time_entry_log(
                actor=person,
                programme=programme,
                date=today - timedelta(days=days_ago),
                minutes=rng.choice([30, 45, 60, 90, 120, 180]),
                activity=activity,
                note=rng.choice(NOTES),
                ticket=own[0] if own and activity == "writing_feedback" else None,
            )
            if days_ago >= 7:
                (to_dispute if rng.random() < 0.08 else to_confirm).append(entry.pk)
    if to_confirm:
        labour_services.time_entries_bulk_review(actor=reviewer, entry_ids=to_confirm, confirm=True)
    if to_dispute:
        labour_services.time_entries_bulk_review(
            actor=reviewer,
            entry_ids=to_dispute,
            confirm=False,
            reason="No session was scheduled that day; please check the date.",
        )
