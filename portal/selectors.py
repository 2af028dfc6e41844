"""Reads of the portal: everything the product holds about one person, for their archive.

A composition: it reads every app's records about the person (participants,
tickets, hours, outputs, ledger, audit), so it lives above them all.
"""

import csv
import io
import itertools
import json
import zipfile
from functools import partial

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from approvals.models import OutputSubmission, ReviewDecision
from approvals.selectors import my_standing
from audit import checkpoints
from audit.models import AuditEvent
from audit.selectors import proof_or_problem
from compensation.models import LedgerEntry, PayoutDetails, TaxStatus
from compensation.selectors import money_by_programme, tax_waits
from core.csvsafe import safe_cell
from core.encryption import decrypt_json
from core.models import OutboxMessage
from feedback.models import Ticket, TicketAttachment, TicketComment
from labour.models import TimeEntry
from labour.selectors import week_by_programme
from participants import services as participant_services
from participants.models import Application, Consent, Participation
from participants.selectors import (
    coming_changes,
    my_participations,
    published_terms,
    terms_in_force,
)
from publicity.models import CompetitionEntry, CreditName, PromotionalUse, TrainingChoice

# Records read per query round trip, and bytes of the archive sent at a time.
CHUNK = 2000
PIECE = 256 * 1024


# --- My data: everything about one person ----------------------------------------------------


def _participations(user):
    """The person's participations."""
    for p in Participation.objects.filter(user=user).select_related("programme"):
        yield {
            "programme": p.programme.slug,
            "status": p.status,
            "status_reason": p.status_reason,
            "joined_at": p.joined_at,
            "payout_reference": p.payout_reference,
        }


def _applications(user):
    """The person's applications."""
    for a in Application.objects.filter(user=user).select_related("programme"):
        yield {
            "programme": a.programme.slug,
            "status": a.status,
            "motivation": a.motivation,
            "decision_reason": a.decision_reason,
        }


def _consents(user):
    """Each consent, with the key facts and the full text of the version accepted."""
    for c in Consent.objects.filter(participation__user=user).select_related(
        "terms_version__programme"
    ):
        terms = c.terms_version
        yield {
            "programme": terms.programme.slug,
            "terms_version": terms.number,
            "terms_hash": c.terms_hash,
            "accepted_at": c.accepted_at,
            # The text the screen showed: its language, its sha256, and whether it was a
            # translation (then of the binding version named above).
            "shown_language": c.shown_language,
            "shown_hash": c.shown_hash,
            "shown_translation": c.translation_id is not None,
            "key_facts": terms.key_facts(),
            "terms": terms.content(),
        }


def _tickets(user):
    """The tickets the person reported."""
    for t in (
        Ticket.objects.filter(reporter=user)
        .select_related("programme")
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    ):
        yield {
            "id": t.pk,
            "programme": t.programme.slug,
            "kind": t.kind,
            "severity": t.severity,
            "status": t.status,
            "title": t.title,
            "description": t.description,
            "steps_to_reproduce": t.steps_to_reproduce,
            "expected_result": t.expected_result,
            "actual_result": t.actual_result,
            "created_at": t.created_at,
        }


def _comments(user):
    """The comments on their tickets meant for them (not staff-internal ones)."""
    for c in (
        TicketComment.objects.filter(ticket__reporter=user, visible_to_reporter=True)
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    ):
        yield {
            "ticket": c.ticket_id,
            "body": c.body,
            "created_at": c.created_at,
            "from_me": c.author_id == user.pk,
        }


def _submissions(user):
    """Their outputs, each with its decisions."""
    # Decisions come in the submissions' order beside them: two ordered reads, merged.
    decisions = (
        ReviewDecision.objects.filter(submission__participant=user)
        .select_related("reason")
        .order_by("submission_id", "pk")
        .iterator(chunk_size=CHUNK)
    )
    pending = next(decisions, None)
    for s in (
        OutputSubmission.objects.filter(participant=user)
        .select_related("programme")
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    ):
        mine = []
        while pending is not None and pending.submission_id <= s.pk:
            if pending.submission_id == s.pk:
                mine.append(
                    {
                        "stage": pending.stage,
                        "outcome": pending.outcome,
                        "reason": pending.reason.label if pending.reason_id else "",
                        "note": pending.note,
                        "decided_at": pending.decided_at,
                    }
                )
            pending = next(decisions, None)
        yield {
            "id": s.pk,
            "programme": s.programme.slug,
            "title": s.title,
            "prompt": s.prompt,
            "url": s.url,
            "content_hash": s.content_hash,
            "intended_use": s.intended_use,
            "status": s.status,
            "submitted_at": s.submitted_at,
            "due_at": s.due_at,
            "decisions": mine,
        }


def _hours(user):
    """The hours they logged."""
    for e in (
        TimeEntry.objects.filter(user=user)
        .select_related("programme")
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    ):
        yield {
            "programme": e.programme.slug,
            "date": e.date,
            "minutes": e.minutes,
            "activity": e.activity,
            "note": e.note,
            "status": e.status,
            "dispute_reason": e.dispute_reason,
        }


def _ledger(user):
    """Their ledger entries."""
    for e in (
        LedgerEntry.objects.filter(participation__user=user)
        .select_related("programme")
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    ):
        yield {
            "programme": e.programme.slug,
            "kind": e.kind,
            "amount": e.amount,
            "currency": e.currency,
            "state": e.state,
            "description": e.description,
            "earned_on": e.earned_on,
            "paid_reference": e.paid_reference,
            "paid_at": e.paid_at,
        }


def _events(user):
    """The audit events about them, each with its inclusion proof once it is sealed."""
    for e in AuditEvent.objects.filter(subject=user).order_by("id").iterator(CHUNK):
        yield {
            "event": e.pk,
            "created_at": e.created_at,
            "action": e.action,
            "object": f"{e.object_type}:{e.object_id}",
            "data": e.data,
            "hash": e.hash,
            "proof": proof_or_problem(e),
        }


def _promotional_uses(user):
    """The promotional uses asked of them, and their answers."""
    for u in PromotionalUse.objects.filter(participant=user).select_related("programme"):
        yield {
            "programme": u.programme.slug,
            "output": u.submission_id,
            "channel": u.channel,
            "period_start": u.period_start,
            "period_end": u.period_end,
            "territory": u.territory,
            "credit_line": u.credit_line,
            "fee": u.fee,
            "currency": u.currency,
            "status": u.status,
            "requested_at": u.requested_at,
        }


def _training_choices(user):
    """Their choices about training use, per programme or per output."""
    for c in (
        TrainingChoice.objects.filter(participant=user)
        .select_related("programme")
        .order_by("chosen_at", "pk")
    ):
        yield {
            "programme": c.programme.slug,
            "output": c.submission_id,
            "allowed": c.allowed,
            "chosen_at": c.chosen_at,
        }


def _credit_names(user):
    """How they chose to be named, per programme."""
    for c in CreditName.objects.filter(participation__user=user).select_related(
        "participation__programme"
    ):
        yield {
            "programme": c.participation.programme.slug,
            "display_name": c.display_name,
            "credit_name": c.credit_name,
            "unnamed": c.unnamed,
            "updated_at": c.updated_at,
        }


def _competition_entries(user):
    """Their competition entries and prizes."""
    for e in CompetitionEntry.objects.filter(entrant=user).select_related("competition"):
        yield {
            "competition": e.competition.title,
            "output": e.submission_id,
            "entered_at": e.entered_at,
            "prize_rank": e.prize_rank,
        }


def _payout_and_tax(user) -> dict:
    """How they are paid (their own details, decrypted for them) and their tax statuses."""
    details = PayoutDetails.objects.filter(user=user).first()
    tax = [
        {
            "programme": t.participation.programme.slug,
            "kind": t.kind,
            "valid_until": t.valid_until,
            "document_type": t.document_type,
            "recorded_at": t.recorded_at,
        }
        for t in TaxStatus.objects.filter(participation__user=user).select_related(
            "participation__programme"
        )
    ]
    return {
        "payout_details": {
            "method": details.method,
            "country": details.country,
            "details": decrypt_json(details.secret),
            "updated_at": details.updated_at,
        }
        if details
        else None,
        "tax_statuses": tax,
    }


def _notifications(user):
    """Every notification sent (or waiting to be sent) to them."""
    for m in OutboxMessage.objects.filter(recipient=user).order_by("pk").iterator(CHUNK):
        yield {
            "subject": m.subject,
            "body": m.body,
            "url": m.url,
            "status": m.status,
            "created_at": m.created_at,
            "sent_at": m.sent_at,
        }


def my_files(user):
    """(path in the archive, stored file) of every file they uploaded: their outputs' files
    and their ticket attachments."""
    for s in OutputSubmission.objects.filter(participant=user).exclude(file="").order_by("pk"):
        yield f"files/outputs/{s.pk}-{s.file.name.rsplit('/', 1)[-1]}", s.file
    for a in TicketAttachment.objects.filter(uploaded_by=user).order_by("pk"):
        yield f"files/ticket-attachments/{a.pk}-{a.original_name or a.file.name}", a.file


def _files(user):
    """The list of the files in the archive (the files themselves are beside data.json)."""
    for path, stored in my_files(user):
        yield {"path": path, "size": stored.size if stored.storage.exists(stored.name) else None}


def my_data_sections(user) -> list[tuple[str, object]]:
    """Everything the product holds about one person, and nothing about anyone else, as
    (name, value) in archive order: a value is a dict, or a function that yields the
    section's records (each a dict) straight from its query, so the archive streams.

    Every query is filtered by this person; comments are only those meant for
    them (not staff-internal ones).
    """
    return [
        ("generated_at", timezone.now()),
        (
            "account",
            {"email": user.email, "name": user.get_full_name(), "joined": user.date_joined},
        ),
        ("participations", partial(_participations, user)),
        ("applications", partial(_applications, user)),
        ("consents", partial(_consents, user)),
        ("tickets", partial(_tickets, user)),
        ("comments_for_me", partial(_comments, user)),
        ("submissions", partial(_submissions, user)),
        ("hours", partial(_hours, user)),
        ("ledger", partial(_ledger, user)),
        ("promotional_uses", partial(_promotional_uses, user)),
        ("training_choices", partial(_training_choices, user)),
        ("competition_entries", partial(_competition_entries, user)),
        ("credit_names", partial(_credit_names, user)),
        ("payout_and_tax", _payout_and_tax(user)),
        ("notifications", partial(_notifications, user)),
        ("files", partial(_files, user)),
        ("audit_events_about_me", partial(_events, user)),
        ("audit_checkpoint", audit_checkpoint_proof()),
    ]


def my_data(user) -> dict:
    """Everything the product holds about one person, as one dict (what data.json holds)."""
    return {
        name: list(value()) if callable(value) else value for name, value in my_data_sections(user)
    }


def audit_checkpoint_proof() -> dict:
    """The newest signed checkpoint of the audit log and the keys that verify it: keep it,
    and the operator can never later cut the log back behind it unnoticed."""
    latest = checkpoints.latest()
    return {
        "checkpoint": latest.note if latest else None,
        "tree_size": latest.size if latest else 0,
        "verifier_keys": checkpoints.verifier_keys(),
        "how_to_check": "A C2SP tlog-checkpoint in a signed note (origin, tree size, base64 "
        "root). Each event's proof is an RFC 9162 inclusion proof into the tree of a "
        "checkpoint; tools/audit_proof_verify.py checks both. /audit/checkpoints/ lists the "
        "newest.",
    }


class _Pipe(io.RawIOBase):
    """Where the ZIP writer writes: bytes collected until the stream takes them. It cannot
    seek, so `zipfile` writes each member's sizes after its data (a data descriptor)."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.parts.append(bytes(b))
        self.size += len(b)
        return len(b)

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts, self.size = [], 0
        return out


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder)


def _cell(value):
    return safe_cell(_json(value) if isinstance(value, dict | list) else value)


def my_data_archive(user):
    """A ZIP with data.json (everything) and one CSV per kind of record, yielded in pieces of
    about `PIECE` bytes as it is written: the download starts at once and the process holds
    one piece and one chunk of records, whatever the person's history."""
    sections = my_data_sections(user)
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("data.json", "w") as member:
            text = io.TextIOWrapper(member, encoding="utf-8", write_through=True)
            text.write("{")
            yield pipe.take()  # the archive's first header: the download starts now
            for i, (name, value) in enumerate(sections):
                text.write(f'{"," if i else ""}\n "{name}": ')
                if not callable(value):
                    text.write(_json(value))
                    continue
                text.write("[")
                for j, row in enumerate(value()):
                    text.write(("," if j else "") + "\n  " + _json(row))
                    if pipe.size >= PIECE:
                        yield pipe.take()
                text.write("\n ]")
            text.write("\n}\n")
            text.flush()
            text.detach()
        yield pipe.take()
        for name, value in sections:
            if not callable(value):
                continue
            rows = value()
            first = next(rows, None)
            if first is None:
                continue
            with archive.open(f"{name}.csv", "w") as member:
                text = io.TextIOWrapper(member, encoding="utf-8", newline="", write_through=True)
                writer = csv.writer(text)
                columns = list(first)
                writer.writerow(columns)
                for row in itertools.chain([first], rows):
                    writer.writerow([_cell(row[c]) for c in columns])
                    if pipe.size >= PIECE:
                        yield pipe.take()
                text.flush()
                text.detach()
        # Their own files, copied a chunk at a time.
        for path, stored in my_files(user):
            if not stored.storage.exists(stored.name):
                continue
            with archive.open(path, "w", force_zip64=True) as member, stored.open("rb") as src:
                for chunk in src.chunks():
                    member.write(chunk)
                    if pipe.size >= PIECE:
                        yield pipe.take()
    yield pipe.take()


# --- Where do I stand: the portal home -----------------------------------------------------


def _consent_action(programme, access) -> list[dict]:
    if access.code != "consent_required":
        return []
    return [
        {
            "text": _("Accept the terms of %(name)s: %(why)s")
            % {"name": programme.name, "why": access.message},
            "url": reverse("participants:consent", args=[programme.slug]),
            "link": _("Read and accept the terms"),
        }
    ]


def _hours_action(programme, week: dict) -> list[dict]:
    """Hour entries staff disputed, for the person to correct or answer."""
    n = week.get("to_answer")
    if not n:
        return []
    one = n == 1
    return [
        {
            "text": ngettext(
                "%(n)d hour entry in %(name)s was disputed: correct or answer it.",
                "%(n)d hour entries in %(name)s were disputed: correct or answer them.",
                n,
            )
            % {"n": n, "name": programme.name},
            # The week disputed, not this week: the entries to answer are there.
            "url": reverse("labour:edit", args=[week["first_to_answer"]])
            if one
            else f"{reverse('labour:mine')}?week={week['first_to_answer_on']:%Y-%m-%d}",
            "link": _("Answer the dispute") if one else _("See my hours"),
        }
    ]


def _output_actions(programme, groups: dict) -> list[dict]:
    """Outputs to resubmit and rejections the person may appeal (the first few of each, then
    how many more)."""
    name = programme.name
    actions = [
        {
            "text": _("Changes were requested on “%(title)s” (%(name)s): send a new version.")
            % {"title": s["title"], "name": name},
            "url": reverse("approvals:resubmit", args=[s["pk"]]),
            "link": _("Resubmit"),
        }
        for s in groups.get("changes", {}).get("items", [])
    ]
    actions += [
        {
            "text": _("“%(title)s” (%(name)s) was rejected; the terms let you appeal once.")
            % {"title": s["title"], "name": name},
            "url": reverse("approvals:output", args=[s["pk"]]),
            "link": _("Read the decision and appeal"),
        }
        for s in groups.get("appeal", {}).get("items", [])
    ]
    more = {
        "changes": lambda n: ngettext(
            "%(n)d more output in %(name)s to resubmit.",
            "%(n)d more outputs in %(name)s to resubmit.",
            n,
        ),
        "appeal": lambda n: ngettext(
            "%(n)d more output in %(name)s you may appeal.",
            "%(n)d more outputs in %(name)s you may appeal.",
            n,
        ),
    }
    for group, sentence in more.items():
        entry = groups.get(group)
        if entry and entry["count"] > len(entry["items"]):
            n = entry["count"] - len(entry["items"])
            actions.append(
                {
                    "text": sentence(n) % {"n": n, "name": name},
                    "url": reverse("approvals:mine"),
                    "link": _("See my outputs"),
                }
            )
    return actions


# How many of each kind of waiting item "needs your action" lists before "and more".
SHOWN_PER_KIND = 5


def _waiting_for_me(user) -> list[dict]:
    """Tickets on which staff asked the person for more information, promotional uses of
    their work waiting for their answer, and pay held until they send a tax form: one query
    each, whatever the number of programmes."""
    actions = []
    tickets = list(
        Ticket.objects.filter(reporter=user, status=Ticket.Status.NEEDS_INFO)
        .select_related("programme")
        .order_by("needs_info_since", "pk")[: SHOWN_PER_KIND + 1]
    )
    for ticket in tickets[:SHOWN_PER_KIND]:
        actions.append(
            {
                "text": _("Staff asked for more information on your ticket “%(title)s” (%(name)s).")
                % {"title": ticket.title, "name": ticket.programme.name},
                "url": reverse("feedback:detail", args=[ticket.pk]),
                "link": _("Answer on the ticket"),
            }
        )
    if len(tickets) > SHOWN_PER_KIND:
        actions.append(
            {
                "text": _("More of your tickets wait for information from you."),
                "url": reverse("feedback:mine"),
                "link": _("See my tickets"),
            }
        )
    uses = list(
        PromotionalUse.objects.filter(participant=user, status=PromotionalUse.Status.REQUESTED)
        .select_related("programme", "submission")
        .order_by("requested_at", "pk")[: SHOWN_PER_KIND + 1]
    )
    for use in uses[:SHOWN_PER_KIND]:
        words = {
            "name": use.programme.name,
            "title": use.submission.title,
            "channel": use.get_channel_display().lower(),
            "fee": use.fee,
            "currency": use.currency,
        }
        actions.append(
            {
                "text": (
                    _(
                        "%(name)s asks to use “%(title)s” in %(channel)s for a fee of "
                        "%(fee)s %(currency)s: accept or decline."
                    )
                    if use.fee
                    else _(
                        "%(name)s asks to use “%(title)s” in %(channel)s without a fee: "
                        "accept or decline."
                    )
                )
                % words,
                "url": reverse("publicity:uses"),
                "link": _("Answer the request"),
            }
        )
    if len(uses) > SHOWN_PER_KIND:
        actions.append(
            {
                "text": _("More requests to use your work wait for your answer."),
                "url": reverse("publicity:uses"),
                "link": _("See all requests"),
            }
        )
    for wait in tax_waits(user):
        actions.append(
            {
                "text": _("Your pay from %(name)s waits for your tax status: send %(forms)s.")
                % {"name": wait["programme"], "forms": _(" or ").join(wait["forms"])},
                "url": reverse("compensation:tax_form", args=[wait["slug"]]),
                "link": _("Send the form"),
            }
        )
    return actions


def where_i_stand(user, at=None) -> dict:
    """Everything the portal home shows about one participant, per programme, in a fixed
    number of queries however many programmes and records (each app's read is one grouped
    query over all the person's programmes; `tests/core/test_query_counts.py` pins it).

    Returns {"rows": [...], "actions": [...], "coming": [...]}: per programme the
    participation, its access check, the terms in force, this week's hours against the
    expected hours, the outputs waiting for someone, and the pay owed and paid per
    currency; `actions` are what needs the person, each with the page where it is done.
    """
    at = at or timezone.now()
    participations = list(
        my_participations(user, at).annotate(
            has_payout_details=Exists(PayoutDetails.objects.filter(user=OuterRef("user_id")))
        )
    )
    if not participations:
        return {"rows": [], "actions": [], "coming": []}
    published = published_terms(p.programme_id for p in participations)
    checks = participant_services.access_checks(user, participations, at, published=published)
    in_force = terms_in_force(published, at)
    coming = coming_changes(participations, at, published=published)
    hours = week_by_programme(user, timezone.localdate(at))
    outputs = my_standing(user)
    money = money_by_programme(user)

    rows, actions = [], []
    for p, access in zip(participations, checks, strict=True):
        programme = p.programme
        terms = in_force.get(p.programme_id)
        week = hours.get(p.programme_id, {})
        groups = outputs.get(p.programme_id, {})
        rows.append(
            {
                "participation": p,
                "programme": programme,
                "access": access,
                "terms": terms,
                "expected_hours": terms.expected_hours_per_week if terms else None,
                "week": week,
                "waiting": groups.get("waiting"),
                "pay": money.get(p.programme_id, []),
            }
        )
        actions += _consent_action(programme, access)
        actions += _hours_action(programme, week)
        actions += _output_actions(programme, groups)
    actions += _waiting_for_me(user)
    owed_anywhere = any(r["owed"] > 0 for row in rows for r in row["pay"])
    if owed_anywhere and not participations[0].has_payout_details:
        actions.append(
            {
                "text": _("You are owed pay but have not said how to be paid."),
                "url": reverse("compensation:payout_details"),
                "link": _("Give my payout details"),
            }
        )
    return {
        "rows": rows,
        "actions": actions,
        "coming": [(p, coming[p.programme_id]) for p in participations if p.programme_id in coming],
    }
