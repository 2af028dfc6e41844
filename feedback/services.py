"""Every change to tickets.

Each service is keyword-only, runs in one transaction, locks the rows it
changes, checks the current state, writes an audit event and queues the
notifications. Views, forms, the API, the demo seeder and tasks call these;
none of them changes a ticket on its own.
"""

import os
from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.services import record
from core.businessdays import add_business_days
from core.errors import DomainError, NotAllowed
from core.languages import language_of
from core.services import notify
from core.text import refuse_control_characters
from core.uploads import (
    IMAGE_TYPES,
    VIDEO_TYPES,
    safe_storage_name,
    sha256_of,
    validate_upload,
)
from participants.services import require_can_work
from programs import policy, signals
from programs.models import Programme

from .models import SEVERITY_RANK, Ticket, TicketAttachment, TicketComment
from .selectors import unanswered

User = get_user_model()
ATTACHMENT_TYPES = IMAGE_TYPES | VIDEO_TYPES
MAX_ATTACHMENTS = 10
MAX_BULK = 200
UNCHANGED = object()


def _clean(text: str | None) -> str:
    return (text or "").strip()


# --- Attachments ----------------------------------------------------------------------


def _check_uploads(uploads: Sequence) -> list[str]:
    """The content type of each upload, or DomainError naming the first refused file."""
    if len(uploads) > MAX_ATTACHMENTS:
        raise DomainError(f"Attach at most {MAX_ATTACHMENTS} files.", field="attachments")
    mimes = []
    for upload in uploads:
        refuse_control_characters(
            os.path.basename(upload.name or ""), field="attachments", what="file name"
        )
        try:
            mimes.append(validate_upload(upload, allowed=ATTACHMENT_TYPES, allow_text_logs=True))
        except ValidationError as exc:
            raise DomainError(
                exc.messages[0] + " Nothing was saved.", code="bad_upload", field="attachments"
            ) from exc
    return mimes


def _store(
    *, ticket: Ticket, uploads: Sequence, mimes: list[str], actor, saved: list, comment=None
) -> list:
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
                comment=comment,
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
    actor,
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
    access = require_can_work(actor, programme)
    if kind not in Ticket.Kind.values:
        raise DomainError("Choose what kind of ticket this is.", field="kind")
    title, description = _clean(title), _clean(description)
    if not title:
        raise DomainError("Give the ticket a short title.", field="title")
    refuse_control_characters(title, field="title", what="ticket title")
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
            reporter=actor,
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
        stored = _store(ticket=ticket, uploads=uploads, mimes=mimes, actor=actor, saved=saved)
        record(
            action="feedback.ticket.filed",
            obj=ticket,
            actor=actor,
            programme=programme,
            subject=actor,
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
def ticket_attach(
    *, actor, ticket: Ticket, uploads: Sequence, comment: TicketComment | None = None
) -> list[TicketAttachment]:
    """Add files to a ticket: the reporter (while they may work) or the programme's staff.

    Files that come with a comment are as visible as the comment: an internal note's
    files are for staff only.
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.reporter_id == actor.pk:
        require_can_work(actor, ticket.programme)
    else:
        policy.require(actor, "staff_comment", ticket)
    uploads = list(uploads)
    if not uploads:
        return []
    if ticket.attachments.count() + len(uploads) > MAX_ATTACHMENTS:
        raise DomainError(f"A ticket holds at most {MAX_ATTACHMENTS} files.", field="attachments")
    mimes = _check_uploads(uploads)
    saved: list[str] = []
    try:
        stored = _store(
            ticket=ticket, uploads=uploads, mimes=mimes, actor=actor, saved=saved, comment=comment
        )
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
    with translation.override(language_of(ticket.reporter, ticket.programme)):
        body = gettext("Your ticket “%(title)s” is now %(status)s.") % {
            "title": ticket.title,
            "status": ticket.get_status_display().lower(),
        }
        if ticket.duplicate_of_id:
            body += " " + gettext("It duplicates ticket #%(number)s.") % {
                "number": ticket.duplicate_of_id
            }
        if note:
            body += f"\n\n{note}"
        subject = gettext("Ticket #%(number)s: %(status)s") % {
            "number": ticket.pk,
            "status": ticket.get_status_display(),
        }
    notify(
        user=ticket.reporter,
        subject=subject,
        body=body,
        url=reverse("feedback:detail", args=[ticket.pk]),
        dedupe_key=f"feedback.ticket.status:{ticket.pk}:{event.pk}",
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
    policy.require(actor, "triage", ticket)
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
    signals.ticket_status_changed.send(
        Ticket,
        programme=ticket.programme,
        payload=signals.TicketStatusChanged(
            ticket=ticket.pk, kind=ticket.kind, old=old, new=status
        ),
    )
    return ticket


@transaction.atomic
def ticket_overturn(*, actor, ticket: Ticket, note: str) -> Ticket:
    """Accept a closed finding whose closing was contested and lost by the programme
    (`recourse`): reopened into triage and accepted in one change, one event, one note."""
    ticket = (
        Ticket.objects.select_for_update().select_related("programme", "reporter").get(pk=ticket.pk)
    )
    policy.require(actor, "triage", ticket)
    if not ticket.is_contestable:
        raise DomainError(
            f"Ticket #{ticket.pk} is {ticket.get_status_display().lower()}; only a closed "
            "finding can be accepted on a contest."
        )
    now = timezone.now()
    old = _apply_status(
        ticket=ticket, status=Ticket.Status.TRIAGED, actor=actor, duplicate_of=None, now=now
    )
    _apply_status(
        ticket=ticket, status=Ticket.Status.ACCEPTED, actor=actor, duplicate_of=None, now=now
    )
    note = _clean(note)
    TicketComment.objects.create(
        ticket=ticket, author=actor, body=note, visible_to_reporter=True, created_at=now
    )
    event = record(
        action="feedback.ticket.status_changed",
        obj=ticket,
        actor=actor,
        programme=ticket.programme,
        subject=ticket.reporter,
        data={"from": old, "to": ticket.status, "duplicate_of": None, "note": note},
    )
    _notify_status(ticket=ticket, old=old, note=note, event=event)
    signals.ticket_status_changed.send(
        Ticket,
        programme=ticket.programme,
        payload=signals.TicketStatusChanged(
            ticket=ticket.pk, kind=ticket.kind, old=old, new=ticket.status
        ),
    )
    return ticket


def _check_assignee(assignee, ticket: Ticket) -> None:
    programme = ticket.programme
    if assignee is not None and not policy.staff_of(programme, "review").filter(pk=assignee.pk):
        raise DomainError(
            f"{assignee.email} is not a reviewer or manager of {programme.name}.",
            field="assignee",
        )


@transaction.atomic
def ticket_assign(*, actor, ticket: Ticket, assignee) -> Ticket:
    """Give a ticket to one of its programme's reviewers or managers (or to nobody)."""
    ticket = Ticket.objects.select_for_update().select_related("programme").get(pk=ticket.pk)
    policy.require(actor, "triage", ticket)
    _check_assignee(assignee, ticket)
    if assignee is not None and assignee.pk == ticket.reporter_id:
        raise DomainError(
            "A ticket is never assigned to the person who reported it.", field="assignee"
        )
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
    policy.require_two_factor(actor)
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
        Ticket.objects.restrict(actor, "triage")
        .select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
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
    if not is_reporter or not visible_to_reporter:
        # Staff comment on their programme's tickets; nobody writes internal notes on the
        # ticket they reported, whatever role they also hold.
        policy.require(author, "staff_comment", ticket)
    now = timezone.now()
    comment = TicketComment.objects.create(
        ticket=ticket,
        author=author,
        body=body,
        visible_to_reporter=visible_to_reporter,
        created_at=now,
    )
    if attachments:
        ticket_attach(actor=author, ticket=ticket, uploads=attachments, comment=comment)
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
        with translation.override(language_of(ticket.reporter, ticket.programme)):
            subject = gettext("New comment on your ticket #%(number)s") % {"number": ticket.pk}
        notify(
            user=ticket.reporter,
            subject=subject,
            body=body,
            url=url,
            dedupe_key=f"feedback.ticket.comment:{comment.pk}",
            programme=ticket.programme,
        )
    return comment


def tickets_escalate_overdue_triage(*, now=None) -> tuple[int, int]:
    """The triage clock's sweep: a ticket still waiting for its first triage decision past the
    date its terms promise is escalated to the programme's managers; one business day later,
    still waiting, the reporter is told. Returns (escalated, told); safe to run twice."""
    now = now or timezone.now()
    waiting = Ticket.objects.filter(
        status=Ticket.Status.NEW,
        triaged_at__isnull=True,
        terms_version__triage_days__isnull=False,
        triage_late_told_at__isnull=True,
    ).select_related("programme", "reporter", "terms_version")
    return _escalate_then_tell(
        waiting,
        due=lambda ticket: ticket.triage_due_at,
        escalated_at="triage_escalated_at",
        told_at="triage_late_told_at",
        escalate=_escalate_triage,
        tell=_tell_reporter_late,
        now=now,
    )


def _escalate_then_tell(waiting, *, due, escalated_at, told_at, escalate, tell, now):
    """The two steps of a ticket clock's sweep: past `due`, escalate once (`escalated_at` set);
    one business day after that, still waiting, tell the reporter once (`told_at` set). Each
    step is claimed by a conditional UPDATE, so two sweeps at once act once."""
    escalated = told = 0
    for ticket in waiting.iterator(chunk_size=500):
        when = due(ticket)
        if when >= now:
            continue
        if getattr(ticket, escalated_at) is None:
            step, field, act = "escalated", escalated_at, escalate
        elif (
            add_business_days(getattr(ticket, escalated_at), 1, ticket.programme.holiday_calendar)
            <= now
        ):
            step, field, act = "told", told_at, tell
        else:
            continue
        with transaction.atomic():
            if Ticket.objects.filter(pk=ticket.pk, **{f"{field}__isnull": True}).update(
                **{field: now}
            ):
                act(ticket, when)
                if step == "escalated":
                    escalated += 1
                else:
                    told += 1
    return escalated, told


def _escalate_triage(ticket: Ticket, due) -> None:
    record(
        action="feedback.ticket.triage_escalated",
        obj=ticket,
        programme=ticket.programme,
        subject=ticket.reporter,
        data={"due": due},
    )
    for person in policy.staff_of(ticket.programme, policy.MANAGE):
        notify(
            user=person,
            subject=f"Triage overdue: ticket #{ticket.pk}",
            body=f"“{ticket.title}” in {ticket.programme.name} was due a triage decision on "
            f"{due:%d %b %Y} and has none.",
            url=reverse("feedback:detail", args=[ticket.pk]),
            dedupe_key=f"feedback.triage_escalated:{ticket.pk}:{person.pk}",
            programme=ticket.programme,
        )


def _tell_reporter_late(ticket: Ticket, due) -> None:
    record(
        action="feedback.ticket.triage_late_told",
        obj=ticket,
        programme=ticket.programme,
        subject=ticket.reporter,
        data={"due": due},
    )
    notify(
        user=ticket.reporter,
        subject=f"Ticket #{ticket.pk}: the triage decision is late",
        body=f"The terms promise a decision on “{ticket.title}” by {due:%d %b %Y}; it is late "
        "and the programme's managers were told.",
        url=reverse("feedback:detail", args=[ticket.pk]),
        dedupe_key=f"feedback.triage_late:{ticket.pk}",
        programme=ticket.programme,
    )


def tickets_escalate_no_first_response(*, now=None) -> tuple[int, int]:
    """The first-response clock's sweep: a ticket nobody answered (`selectors.unanswered`: no
    triage decision, no comment the reporter reads) past the date its terms promise a first
    response is escalated to the programme's managers; one business day later, still
    unanswered, the reporter is told. Returns (escalated, told); safe to run twice."""
    now = now or timezone.now()
    waiting = (
        Ticket.objects.filter(unanswered())
        .filter(
            terms_version__first_response_days__isnull=False, response_late_told_at__isnull=True
        )
        .select_related("programme", "reporter", "terms_version")
    )
    return _escalate_then_tell(
        waiting,
        due=lambda ticket: ticket.first_response_due_at,
        escalated_at="response_escalated_at",
        told_at="response_late_told_at",
        escalate=_escalate_no_response,
        tell=_tell_reporter_no_response,
        now=now,
    )


def _escalate_no_response(ticket: Ticket, due) -> None:
    record(
        action="feedback.ticket.response_escalated",
        obj=ticket,
        programme=ticket.programme,
        subject=ticket.reporter,
        data={"due": due},
    )
    for person in policy.staff_of(ticket.programme, policy.MANAGE):
        notify(
            user=person,
            subject=f"First response overdue: ticket #{ticket.pk}",
            body=f"“{ticket.title}” in {ticket.programme.name} was due a first response on "
            f"{due:%d %b %Y} and nobody has answered the reporter.",
            url=reverse("feedback:detail", args=[ticket.pk]),
            dedupe_key=f"feedback.response_escalated:{ticket.pk}:{person.pk}",
            programme=ticket.programme,
        )


def _tell_reporter_no_response(ticket: Ticket, due) -> None:
    record(
        action="feedback.ticket.response_late_told",
        obj=ticket,
        programme=ticket.programme,
        subject=ticket.reporter,
        data={"due": due},
    )
    with translation.override(language_of(ticket.reporter, ticket.programme)):
        subject = gettext("Ticket #%(number)s: the first response is late") % {"number": ticket.pk}
        body = gettext(
            "The terms promise a first response to “%(title)s” by %(date)s; it is late and the "
            "programme's managers were told."
        ) % {"title": ticket.title, "date": f"{due:%Y-%m-%d}"}
    notify(
        user=ticket.reporter,
        subject=subject,
        body=body,
        url=reverse("feedback:detail", args=[ticket.pk]),
        dedupe_key=f"feedback.response_late:{ticket.pk}",
        programme=ticket.programme,
    )
