"""Every change to the labour log.

Each service is keyword-only, runs in one transaction, locks the rows it
changes, checks the current state, writes an audit event and queues the
notifications. Views, forms, the API, the demo seeder and tasks call these;
none of them changes a time entry on its own. The audit actions keep their
`feedback.time.*` names from before the log had an app of its own.
"""

from collections.abc import Iterable
from datetime import date as date_type

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.services import record
from core.errors import DomainError, NotAllowed
from core.languages import language_of
from core.services import notify
from feedback.models import Ticket
from participants.models import Consent
from participants.services import hours_access
from programs import policy
from programs.models import Programme

from .models import TimeEntry

User = get_user_model()
MAX_BULK = 200


def _clean(text: str | None) -> str:
    return (text or "").strip()


# --- The labour log -----------------------------------------------------------------------


def _check_day(*, user, day: date_type, minutes: int, exclude_pk: int | None = None) -> None:
    """No future dates and at most 24 hours per person per day, across every programme."""
    if not isinstance(minutes, int) or minutes < 1:
        raise DomainError("Log at least one minute.", field="minutes")
    if minutes > TimeEntry.MAX_MINUTES_PER_DAY:
        raise DomainError("One entry cannot be longer than 24 hours.", field="minutes")
    if day > timezone.localdate():
        raise DomainError("You cannot log time for a day that has not happened yet.", field="date")
    # Lock the person: two entries logged at once cannot both squeeze under the cap.
    User.objects.select_for_update().filter(pk=user.pk).first()
    others = TimeEntry.objects.filter(user=user, date=day)
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    already = others.aggregate(total=Sum("minutes"))["total"] or 0
    if already + minutes > TimeEntry.MAX_MINUTES_PER_DAY:
        left = TimeEntry.MAX_MINUTES_PER_DAY - already
        raise DomainError(
            f"A day has 24 hours: you already logged {already // 60} h {already % 60} min on "
            f"{day:%d %b %Y}, so at most {left} more minutes fit.",
            field="minutes",
        )


def _check_since_joining(*, participation, day: date_type) -> None:
    """Work counts under the terms in force when it was done: none before the person joined
    or before they first accepted the terms."""

    joined = timezone.localdate(participation.joined_at)
    if day < joined:
        raise DomainError(
            f"You joined {participation.programme.name} on {joined:%d %b %Y}; "
            "time before that cannot be logged here.",
            field="date",
        )
    first = Consent.objects.filter(participation=participation).order_by("accepted_at").first()
    if first is not None and day < timezone.localdate(first.accepted_at):
        raise DomainError(
            f"You accepted the terms of {participation.programme.name} on "
            f"{timezone.localdate(first.accepted_at):%d %b %Y}; time before that was not "
            "worked under terms you had agreed to and cannot be logged.",
            field="date",
        )


def _check_output_link(*, user, programme: Programme, output) -> None:
    if output is None:
        return
    if output.participant_id != user.pk:
        raise DomainError("You can only link your own outputs.", field="output")
    if output.programme_id != programme.pk:
        raise DomainError("The linked output belongs to another programme.", field="output")


def _check_ticket_link(*, user, programme: Programme, ticket: Ticket | None) -> None:
    if ticket is None:
        return
    if ticket.reporter_id != user.pk and not policy.has_role(user, programme, "review"):
        raise DomainError("You can only link your own tickets.", field="ticket")
    if ticket.programme_id != programme.pk:
        raise DomainError("The linked ticket belongs to another programme.", field="ticket")


@transaction.atomic
def time_entry_log(
    *,
    actor,
    programme: Programme,
    date: date_type,
    minutes: int,
    activity: str,
    note: str = "",
    ticket: Ticket | None = None,
    output=None,
) -> TimeEntry:
    """Log work in a programme where the person is active and has accepted the terms (or
    which they withdrew from recently, for hours worked before: `hours_access`)."""
    access = hours_access(actor, programme, date)
    if activity not in TimeEntry.Activity.values:
        raise DomainError("Choose what kind of work this was.", field="activity")
    _check_day(user=actor, day=date, minutes=minutes)
    _check_since_joining(participation=access.participation, day=date)
    _check_ticket_link(user=actor, programme=programme, ticket=ticket)
    _check_output_link(user=actor, programme=programme, output=output)
    now = timezone.now()
    entry = TimeEntry.objects.create(
        participation=access.participation,
        user=actor,
        programme=programme,
        terms_version=access.terms,
        date=date,
        minutes=minutes,
        activity=activity,
        note=_clean(note),
        ticket=ticket,
        output=output,
        created_at=now,
        updated_at=now,
    )
    record(
        action="feedback.time.logged",
        obj=entry,
        actor=actor,
        programme=programme,
        subject=actor,
        data={
            "date": date,
            "minutes": minutes,
            "activity": activity,
            "ticket": entry.ticket_id,
            "output": entry.output_id,
        },
    )
    return entry


@transaction.atomic
def time_entry_update(
    *,
    actor,
    entry: TimeEntry,
    date: date_type,
    minutes: int,
    activity: str,
    note: str = "",
    ticket: Ticket | None = None,
    output=None,
    answer: str = "",
) -> TimeEntry:
    """Correct one's own entry until staff confirm it.

    A disputed entry is corrected with an answer to the dispute (what the reviewer will
    read); it then waits for confirmation again and the reviewer who disputed it is told.
    """
    entry = TimeEntry.objects.select_for_update().select_related("programme").get(pk=entry.pk)
    if entry.user_id != actor.pk:
        raise NotAllowed("Only the person who logged this time can change it.")
    if not entry.is_editable:
        raise DomainError(
            f"This entry is {entry.get_status_display().lower()} and can no longer be changed. "
            "Log a new entry if something is missing."
        )
    access = hours_access(actor, entry.programme, date)
    if activity not in TimeEntry.Activity.values:
        raise DomainError("Choose what kind of work this was.", field="activity")
    _check_day(user=actor, day=date, minutes=minutes, exclude_pk=entry.pk)
    _check_since_joining(participation=access.participation, day=date)
    _check_ticket_link(user=actor, programme=entry.programme, ticket=ticket)
    _check_output_link(user=actor, programme=entry.programme, output=output)
    answer = _clean(answer)
    was_disputed = entry.status == TimeEntry.Status.DISPUTED
    if was_disputed and not answer:
        raise DomainError(
            "Answer the dispute: say what was wrong or why the entry stands.", field="answer"
        )
    before = {"date": entry.date, "minutes": entry.minutes, "activity": entry.activity}
    entry.date, entry.minutes, entry.activity = date, minutes, activity
    entry.note, entry.ticket, entry.output = _clean(note), ticket, output
    entry.updated_at = timezone.now()
    if was_disputed:
        entry.status = TimeEntry.Status.LOGGED
        entry.dispute_answer = answer
    entry.save()
    if was_disputed:
        event = record(
            action="feedback.time.dispute_answered",
            obj=entry,
            actor=actor,
            programme=entry.programme,
            subject=actor,
            data={"before": before, "minutes": minutes, "date": date, "answer": answer},
        )
        if entry.reviewed_by_id:
            notify(
                user=entry.reviewed_by,
                subject=f"{actor.email} answered your dispute of hours on {date:%d %b %Y}",
                body=f"{minutes} min in {entry.programme.name}. Answer: {answer}",
                url=reverse("labour:queue") + "?status=logged",
                dedupe_key=f"feedback.time.dispute_answered:{entry.pk}:{event.pk}",
                programme=entry.programme,
            )
        return entry
    record(
        action="feedback.time.updated",
        obj=entry,
        actor=actor,
        programme=entry.programme,
        subject=actor,
        data={
            "before": before,
            "after": {"date": date, "minutes": minutes, "activity": activity},
        },
    )
    return entry


def _review(*, actor, entry: TimeEntry, status: str, reason: str) -> TimeEntry:
    policy.require(actor, "confirm", entry)
    if status not in TimeEntry.TRANSITIONS[entry.status]:
        raise DomainError(
            f"The entry of {entry.user.email} on {entry.date:%d %b} is "
            f"{entry.get_status_display().lower()}; it cannot be "
            f"{TimeEntry.Status(status).label.lower()}."
        )
    old = entry.status
    now = timezone.now()
    entry.status = status
    entry.reviewed_by = actor
    entry.reviewed_at = now
    entry.dispute_reason = reason if status == TimeEntry.Status.DISPUTED else entry.dispute_reason
    entry.updated_at = now
    entry.save(
        update_fields=["status", "reviewed_by", "reviewed_at", "dispute_reason", "updated_at"]
    )
    verb = "confirmed" if status == TimeEntry.Status.CONFIRMED else "disputed"
    event = record(
        action=f"feedback.time.{verb}",
        obj=entry,
        actor=actor,
        programme=entry.programme,
        subject=entry.user,
        data={"from": old, "minutes": entry.minutes, "date": entry.date, "reason": reason},
    )
    if status == TimeEntry.Status.DISPUTED:
        with translation.override(language_of(entry.user, entry.programme)):
            subject = gettext("Your hours on %(day)s were disputed") % {
                "day": f"{entry.date:%d %b %Y}"
            }
            body = gettext("%(minutes)s min of %(activity)s in %(name)s. Reason: %(reason)s") % {
                "minutes": entry.minutes,
                "activity": entry.get_activity_display().lower(),
                "name": entry.programme.name,
                "reason": reason,
            }
        notify(
            user=entry.user,
            subject=subject,
            body=body,
            url=reverse("labour:mine") + f"?week={entry.date.isoformat()}",
            dedupe_key=f"feedback.time.disputed:{entry.pk}:{event.pk}",
            programme=entry.programme,
        )
    return entry


@transaction.atomic
def time_entry_confirm(*, actor, entry: TimeEntry) -> TimeEntry:
    """Confirm an entry. Confirmed hours count for pay and are never edited."""
    entry = (
        TimeEntry.objects.select_for_update().select_related("programme", "user").get(pk=entry.pk)
    )
    return _review(actor=actor, entry=entry, status=TimeEntry.Status.CONFIRMED, reason="")


@transaction.atomic
def time_entry_dispute(*, actor, entry: TimeEntry, reason: str) -> TimeEntry:
    """Dispute an entry with a reason the participant reads."""
    reason = _clean(reason)
    if not reason:
        raise DomainError("A dispute needs a reason the participant will read.", field="reason")
    entry = (
        TimeEntry.objects.select_for_update().select_related("programme", "user").get(pk=entry.pk)
    )
    return _review(actor=actor, entry=entry, status=TimeEntry.Status.DISPUTED, reason=reason)


@transaction.atomic
def time_entries_bulk_review(
    *, actor, entry_ids: Iterable[int], confirm: bool, reason: str = ""
) -> list[TimeEntry]:
    """Confirm or dispute a selection of entries: all of them or none."""
    policy.require_two_factor(actor)
    ids = sorted({int(i) for i in entry_ids})
    if not ids:
        raise DomainError("Select at least one entry.", field="entries")
    if len(ids) > MAX_BULK:
        raise DomainError(f"Select at most {MAX_BULK} entries at once.", field="entries")
    reason = _clean(reason)
    if not confirm and not reason:
        raise DomainError("A dispute needs a reason the participants will read.", field="reason")
    entries = list(
        TimeEntry.objects.restrict(actor, "confirm")
        .select_for_update()
        .select_related("programme", "user")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(entries) != len(ids):
        raise NotAllowed("Some of the selected entries are not yours to review; nothing changed.")
    status = TimeEntry.Status.CONFIRMED if confirm else TimeEntry.Status.DISPUTED
    return [_review(actor=actor, entry=e, status=status, reason=reason) for e in entries]
