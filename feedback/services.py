"""Every change to tickets and the labour log.

Each service is keyword-only, runs in one transaction, locks the rows it
changes, checks the current state, writes an audit event and queues the
notifications. Views, forms, the API, the demo seeder and tasks call these;
none of them changes a ticket or a time entry on its own.
"""

import os
from collections.abc import Iterable, Sequence
from datetime import date as date_type

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from audit.services import record
from core import events
from core.errors import DomainError, NotAllowed
from core.services import notify
from core.uploads import (
    IMAGE_TYPES,
    VIDEO_TYPES,
    safe_storage_name,
    sha256_of,
    validate_upload,
)
from participants.services import require_can_work
from programs.models import Programme, ProgrammeRole
from programs.selectors import has_role

from .models import SEVERITY_RANK, Ticket, TicketAttachment, TicketComment, TimeEntry

User = get_user_model()
ATTACHMENT_TYPES = IMAGE_TYPES | VIDEO_TYPES
MAX_ATTACHMENTS = 10
MAX_BULK = 200
STAFF = (ProgrammeRole.Role.REVIEWER, ProgrammeRole.Role.MANAGER)
UNCHANGED = object()


def _require_staff(actor, programme: Programme) -> None:
    if not has_role(actor, programme, *STAFF):
        raise NotAllowed(f"Only reviewers and managers of {programme.name} can do this.")


def _clean(text: str | None) -> str:
    return (text or "").strip()


# --- Attachments ----------------------------------------------------------------------


def _check_uploads(uploads: Sequence) -> list[str]:
    """The content type of each upload, or DomainError naming the first refused file."""
    if len(uploads) > MAX_ATTACHMENTS:
        raise DomainError(f"Attach at most {MAX_ATTACHMENTS} files.", field="attachments")
    mimes = []
    for upload in uploads:
        try:
            mimes.append(validate_upload(upload, allowed=ATTACHMENT_TYPES, allow_text_logs=True))
        except ValidationError as exc:
            raise DomainError(
                exc.messages[0] + " Nothing was saved.", code="bad_upload", field="attachments"
            ) from exc
    return mimes


def _store(*, ticket: Ticket, uploads: Sequence, mimes: list[str], actor, saved: list) -> list:
    """Save already-checked files under generated names, appending each name to `saved`."""
    attachments = []
    for upload, mime in zip(uploads, mimes, strict=True):
        digest = sha256_of(upload)
        name = default_storage.save(
            safe_storage_name(f"tickets/{ticket.programme_id}", mime), upload
        )
        saved.append(name)
        attachments.append(
            TicketAttachment.objects.create(
                ticket=ticket,
                file=name,
                original_name=os.path.basename(upload.name or "file")[:200],
                content_type=mime,
                size=upload.size,
                sha256=digest,
                uploaded_by=actor,
            )
        )
    return attachments


def _discard(saved: list) -> None:
    """Remove files whose database rows are being rolled back."""
    for name in saved:
        default_storage.delete(name)


def _describe(attachments) -> list[dict]:
    return [{"sha256": a.sha256, "type": a.content_type, "size": a.size} for a in attachments]


# --- Tickets ----------------------------------------------------------------------------


@transaction.atomic
def ticket_file(
    *,
    reporter,
    programme: Programme,
    kind: str,
    title: str,
    description: str,
    steps_to_reproduce: str = "",
    expected_result: str = "",
    actual_result: str = "",
    severity: str = "",
    attachments: Sequence = (),
) -> Ticket:
    """File a ticket in a programme where the reporter is active and has accepted the terms.

    The ticket records the terms version in force; attachments are checked by
    their bytes before anything is saved.
    """
    access = require_can_work(reporter, programme)
    if kind not in Ticket.Kind.values:
        raise DomainError("Choose what kind of ticket this is.", field="kind")
    title, description = _clean(title), _clean(description)
    if not title:
        raise DomainError("Give the ticket a short title.", field="title")
    if not description:
        raise DomainError("Describe what you found.", field="description")
    severity = _clean(severity)
    if kind in Ticket.SEVERITY_KINDS:
        if severity not in SEVERITY_RANK or not severity:
            raise DomainError(
                "Bugs and safety findings need a severity: low, medium, high or critical.",
                field="severity",
            )
    elif severity:
        raise DomainError(
            "Only bugs and safety findings have a severity; leave it empty for "
            f"{Ticket.Kind(kind).label.lower()}.",
            field="severity",
        )
    uploads = list(attachments or ())
    mimes = _check_uploads(uploads)
    saved: list[str] = []
    try:
        now = timezone.now()
        ticket = Ticket.objects.create(
            programme=programme,
            reporter=reporter,
            terms_version=access.terms,
            kind=kind,
            title=title[:200],
            description=description,
            steps_to_reproduce=_clean(steps_to_reproduce),
            expected_result=_clean(expected_result),
            actual_result=_clean(actual_result),
            severity=severity,
            severity_rank=SEVERITY_RANK[severity],
            created_at=now,
            updated_at=now,
        )
        stored = _store(ticket=ticket, uploads=uploads, mimes=mimes, actor=reporter, saved=saved)
        record(
            action="feedback.ticket.filed",
            obj=ticket,
            actor=reporter,
            programme=programme,
            subject=reporter,
            data={
                "kind": kind,
                "severity": severity,
                "terms_version": access.terms.number,
                "attachments": _describe(stored),
            },
        )
    except Exception:
        _discard(saved)
        raise
    return ticket


@transaction.atomic
def ticket_attach(*, actor, ticket: Ticket, uploads: Sequence) -> list[TicketAttachment]:
    """Add files to a ticket: the reporter (while they may work) or the programme's staff."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.reporter_id == actor.pk:
        require_can_work(actor, ticket.programme)
    else:
        _require_staff(actor, ticket.programme)
    uploads = list(uploads)
    if not uploads:
        return []
    if ticket.attachments.count() + len(uploads) > MAX_ATTACHMENTS:
        raise DomainError(f"A ticket holds at most {MAX_ATTACHMENTS} files.", field="attachments")
    mimes = _check_uploads(uploads)
    saved: list[str] = []
    try:
        stored = _store(ticket=ticket, uploads=uploads, mimes=mimes, actor=actor, saved=saved)
        record(
            action="feedback.ticket.attachment_added",
            obj=ticket,
            actor=actor,
            programme=ticket.programme,
            subject=ticket.reporter,
            data={"attachments": _describe(stored)},
        )
    except Exception:
        _discard(saved)
        raise
    return stored


def _apply_status(*, ticket: Ticket, status: str, actor, duplicate_of: Ticket | None, now):
    """Change a locked ticket's status and its clocks; the caller audits and notifies."""
    old = ticket.status
    if status not in Ticket.Status.values:
        raise DomainError("Choose a valid status.", field="status")
    if status == old:
        raise DomainError(f"Ticket #{ticket.pk} is already {ticket.get_status_display().lower()}.")
    if status not in Ticket.TRANSITIONS[old]:
        raise DomainError(
            f"Ticket #{ticket.pk} is {ticket.get_status_display().lower()}; it cannot become "
            f"{Ticket.Status(status).label.lower()}.",
            field="status",
        )
    if status == Ticket.Status.DUPLICATE:
        if duplicate_of is None:
            raise DomainError(
                "Say which ticket this one duplicates (its number).", field="duplicate_of"
            )
        original = Ticket.objects.filter(pk=duplicate_of.pk).first()
        # Link to the root original, so duplicates never chain.
        seen = {ticket.pk}
        while original is not None and original.duplicate_of_id and original.pk not in seen:
            seen.add(original.pk)
            original = Ticket.objects.filter(pk=original.duplicate_of_id).first()
        if original is None or original.pk == ticket.pk:
            raise DomainError("A ticket cannot be a duplicate of itself.", field="duplicate_of")
        if original.programme_id != ticket.programme_id:
            raise DomainError(
                "The original must be a ticket of the same programme.", field="duplicate_of"
            )
        ticket.duplicate_of = original
    elif duplicate_of is not None:
        raise DomainError("Only a duplicate links to an original.", field="duplicate_of")
    else:
        ticket.duplicate_of = None

    # The triage clock: paused while waiting for the reporter, stopped at the first decision.
    if old == Ticket.Status.NEEDS_INFO and ticket.needs_info_since:
        ticket.needs_info_seconds += int((now - ticket.needs_info_since).total_seconds())
        ticket.needs_info_since = None
    if status == Ticket.Status.NEEDS_INFO:
        ticket.needs_info_since = now
    elif ticket.triaged_at is None and status != Ticket.Status.NEW:
        ticket.triaged_at = now
    if status == Ticket.Status.ACCEPTED and ticket.accepted_at is None:
        ticket.accepted_at = now
    if status == Ticket.Status.RESOLVED:
        ticket.resolved_at = now
    elif status == Ticket.Status.TRIAGED:
        ticket.resolved_at = None
    ticket.status = status
    ticket.updated_at = now
    ticket.save()
    return old


def _notify_status(*, ticket: Ticket, old: str, note: str, event) -> None:
    body = f"Your ticket “{ticket.title}” is now {ticket.get_status_display().lower()}."
    if ticket.duplicate_of_id:
        body += f" It duplicates ticket #{ticket.duplicate_of_id}."
    if note:
        body += f"\n\n{note}"
    notify(
        user=ticket.reporter,
        subject=f"Ticket #{ticket.pk}: {ticket.get_status_display()}",
        body=body,
        url=reverse("feedback:detail", args=[ticket.pk]),
        dedupe_key=f"feedback.ticket.status:{ticket.pk}:{event.seq}",
        programme=ticket.programme,
    )


@transaction.atomic
def ticket_set_status(
    *,
    actor,
    ticket: Ticket,
    status: str,
    duplicate_of: Ticket | None = None,
    note: str = "",
) -> Ticket:
    """Move a ticket through triage. A note, if given, is a comment the reporter reads.

    Needs-more-info pauses the triage clock; the first decision stops it.
    """
    ticket = (
        Ticket.objects.select_for_update().select_related("programme", "reporter").get(pk=ticket.pk)
    )
    _require_staff(actor, ticket.programme)
    now = timezone.now()
    note = _clean(note)
    if status == Ticket.Status.NEEDS_INFO and not note:
        raise DomainError("Ask the reporter what you need to know.", field="note")
    old = _apply_status(
        ticket=ticket, status=status, actor=actor, duplicate_of=duplicate_of, now=now
    )
    if note:
        TicketComment.objects.create(
            ticket=ticket, author=actor, body=note, visible_to_reporter=True, created_at=now
        )
    event = record(
        action="feedback.ticket.status_changed",
        obj=ticket,
        actor=actor,
        programme=ticket.programme,
        subject=ticket.reporter,
        data={
            "from": old,
            "to": status,
            "duplicate_of": ticket.duplicate_of_id,
            "note": note,
        },
    )
    _notify_status(ticket=ticket, old=old, note=note, event=event)
    events.publish(
        programme=ticket.programme,
        event="ticket.status_changed",
        data={"ticket": ticket.pk, "kind": ticket.kind, "from": old, "to": status},
    )
    return ticket


def _check_assignee(assignee, programme: Programme) -> None:
    if assignee is not None and not has_role(assignee, programme, *STAFF):
        raise DomainError(
            f"{assignee.email} is not a reviewer or manager of {programme.name}.",
            field="assignee",
        )


@transaction.atomic
def ticket_assign(*, actor, ticket: Ticket, assignee) -> Ticket:
    """Give a ticket to one of its programme's reviewers or managers (or to nobody)."""
    ticket = Ticket.objects.select_for_update().select_related("programme").get(pk=ticket.pk)
    _require_staff(actor, ticket.programme)
    _check_assignee(assignee, ticket.programme)
    previous = ticket.assignee_id
    new = assignee.pk if assignee else None
    if previous == new:
        return ticket
    ticket.assignee = assignee
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["assignee", "updated_at"])
    record(
        action="feedback.ticket.assigned",
        obj=ticket,
        actor=actor,
        programme=ticket.programme,
        subject=ticket.reporter,
        data={"from": previous, "to": new},
    )
    return ticket


@transaction.atomic
def tickets_bulk_triage(
    *, actor, ticket_ids: Iterable[int], status: str = "", assignee=UNCHANGED, note: str = ""
) -> list[Ticket]:
    """Set the status and/or assignee of a selection of tickets: all of them or none.

    Tickets the actor may not triage are refused as if they did not exist.
    """
    ids = sorted({int(i) for i in ticket_ids})
    if not ids:
        raise DomainError("Select at least one ticket.", field="tickets")
    if len(ids) > MAX_BULK:
        raise DomainError(f"Select at most {MAX_BULK} tickets at once.", field="tickets")
    if not status and assignee is UNCHANGED:
        raise DomainError("Choose a status or an assignee to set.", field="status")
    if status == Ticket.Status.DUPLICATE:
        raise DomainError(
            "Mark duplicates one at a time, from the ticket, so each links its original.",
            field="status",
        )
    tickets = list(
        Ticket.objects.triageable_by(actor).select_for_update().filter(pk__in=ids).order_by("pk")
    )
    if len(tickets) != len(ids):
        raise NotAllowed("Some of the selected tickets are not yours to triage; nothing changed.")
    for ticket in tickets:
        if assignee is not UNCHANGED:
            ticket_assign(actor=actor, ticket=ticket, assignee=assignee)
        if status and ticket.status != status:
            ticket_set_status(actor=actor, ticket=ticket, status=status, note=note)
    return list(Ticket.objects.filter(pk__in=ids).order_by("pk"))


@transaction.atomic
def ticket_comment(
    *,
    author,
    ticket: Ticket,
    body: str,
    visible_to_reporter: bool = True,
    attachments: Sequence = (),
) -> TicketComment:
    """Comment on a ticket: the reporter's are always public; staff may write internal notes.

    A reply from the reporter to a needs-more-info ticket puts it back in triage.
    """
    ticket = (
        Ticket.objects.select_for_update().select_related("programme", "reporter").get(pk=ticket.pk)
    )
    body = _clean(body)
    if not body:
        raise DomainError("Write something first.", field="body")
    is_reporter = ticket.reporter_id == author.pk
    if is_reporter:
        visible_to_reporter = True
    else:
        _require_staff(author, ticket.programme)
    if attachments:
        ticket_attach(actor=author, ticket=ticket, uploads=attachments)
    now = timezone.now()
    comment = TicketComment.objects.create(
        ticket=ticket,
        author=author,
        body=body,
        visible_to_reporter=visible_to_reporter,
        created_at=now,
    )
    record(
        action="feedback.ticket.commented",
        obj=ticket,
        actor=author,
        programme=ticket.programme,
        subject=ticket.reporter,
        data={"comment": comment.pk, "visible_to_reporter": visible_to_reporter},
    )
    url = reverse("feedback:detail", args=[ticket.pk])
    if is_reporter and ticket.status == Ticket.Status.NEEDS_INFO:
        back = Ticket.Status.TRIAGED if ticket.triaged_at else Ticket.Status.NEW
        old = _apply_status(ticket=ticket, status=back, actor=author, duplicate_of=None, now=now)
        record(
            action="feedback.ticket.status_changed",
            obj=ticket,
            actor=author,
            programme=ticket.programme,
            subject=ticket.reporter,
            data={"from": old, "to": back, "reason": "reporter replied"},
        )
    else:
        ticket.updated_at = now
        ticket.save(update_fields=["updated_at"])
    if is_reporter and ticket.assignee_id:
        notify(
            user=ticket.assignee,
            subject=f"Reply on ticket #{ticket.pk}",
            body=body,
            url=url,
            dedupe_key=f"feedback.ticket.comment:{comment.pk}",
            programme=ticket.programme,
        )
    elif not is_reporter and visible_to_reporter:
        notify(
            user=ticket.reporter,
            subject=f"New comment on your ticket #{ticket.pk}",
            body=body,
            url=url,
            dedupe_key=f"feedback.ticket.comment:{comment.pk}",
            programme=ticket.programme,
        )
    return comment


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
    if ticket.reporter_id != user.pk and not has_role(user, programme, *STAFF):
        raise DomainError("You can only link your own tickets.", field="ticket")
    if ticket.programme_id != programme.pk:
        raise DomainError("The linked ticket belongs to another programme.", field="ticket")


@transaction.atomic
def time_entry_log(
    *,
    user,
    programme: Programme,
    date: date_type,
    minutes: int,
    activity: str,
    note: str = "",
    ticket: Ticket | None = None,
    output=None,
) -> TimeEntry:
    """Log work in a programme where the person is active and has accepted the terms."""
    access = require_can_work(user, programme)
    if activity not in TimeEntry.Activity.values:
        raise DomainError("Choose what kind of work this was.", field="activity")
    _check_day(user=user, day=date, minutes=minutes)
    _check_ticket_link(user=user, programme=programme, ticket=ticket)
    _check_output_link(user=user, programme=programme, output=output)
    now = timezone.now()
    entry = TimeEntry.objects.create(
        participation=access.participation,
        user=user,
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
        actor=user,
        programme=programme,
        subject=user,
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
    user,
    entry: TimeEntry,
    date: date_type,
    minutes: int,
    activity: str,
    note: str = "",
    ticket: Ticket | None = None,
    output=None,
) -> TimeEntry:
    """Correct one's own entry while staff have neither confirmed nor disputed it."""
    entry = TimeEntry.objects.select_for_update().select_related("programme").get(pk=entry.pk)
    if entry.user_id != user.pk:
        raise NotAllowed("Only the person who logged this time can change it.")
    if not entry.is_editable:
        raise DomainError(
            f"This entry is {entry.get_status_display().lower()} and can no longer be changed. "
            "Log a new entry if something is missing."
        )
    require_can_work(user, entry.programme)
    if activity not in TimeEntry.Activity.values:
        raise DomainError("Choose what kind of work this was.", field="activity")
    _check_day(user=user, day=date, minutes=minutes, exclude_pk=entry.pk)
    _check_ticket_link(user=user, programme=entry.programme, ticket=ticket)
    _check_output_link(user=user, programme=entry.programme, output=output)
    before = {"date": entry.date, "minutes": entry.minutes, "activity": entry.activity}
    entry.date, entry.minutes, entry.activity = date, minutes, activity
    entry.note, entry.ticket, entry.output = _clean(note), ticket, output
    entry.updated_at = timezone.now()
    entry.save()
    record(
        action="feedback.time.updated",
        obj=entry,
        actor=user,
        programme=entry.programme,
        subject=user,
        data={
            "before": before,
            "after": {"date": date, "minutes": minutes, "activity": activity},
        },
    )
    return entry


def _review(*, actor, entry: TimeEntry, status: str, reason: str) -> TimeEntry:
    if entry.user_id == actor.pk:
        raise NotAllowed("Nobody confirms or disputes their own hours.")
    _require_staff(actor, entry.programme)
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
        notify(
            user=entry.user,
            subject=f"Your hours on {entry.date:%d %b %Y} were disputed",
            body=f"{entry.minutes} min of {entry.get_activity_display().lower()} in "
            f"{entry.programme.name}. Reason: {reason}",
            url=reverse("feedback:hours") + f"?week={entry.date.isoformat()}",
            dedupe_key=f"feedback.time.disputed:{entry.pk}:{event.seq}",
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
    ids = sorted({int(i) for i in entry_ids})
    if not ids:
        raise DomainError("Select at least one entry.", field="entries")
    if len(ids) > MAX_BULK:
        raise DomainError(f"Select at most {MAX_BULK} entries at once.", field="entries")
    reason = _clean(reason)
    if not confirm and not reason:
        raise DomainError("A dispute needs a reason the participants will read.", field="reason")
    entries = list(
        TimeEntry.objects.reviewable_by(actor)
        .select_for_update()
        .select_related("programme", "user")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(entries) != len(ids):
        raise NotAllowed("Some of the selected entries are not yours to review; nothing changed.")
    status = TimeEntry.Status.CONFIRMED if confirm else TimeEntry.Status.DISPUTED
    return [_review(actor=actor, entry=e, status=status, reason=reason) for e in entries]
