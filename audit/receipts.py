"""Receipts: what a person keeps of their own writes.

A receipt is a signed note (audit.signednote, the audit signing key) naming an event's number
and its leaf hash, given at the moment of the write, before the event is sealed. Held
against a later checkpoint it proves the event was there: `audit_verify --receipt FILE`
names an event whose receipt verifies but which the log no longer holds (deleted) or holds
otherwise (altered).

`ReceiptMiddleware` collects the events a request's person wrote (those that committed) and
hands back their receipts: a message with links on pages, an `Audit-Receipt` header (one
URL per event) on every response, the API's included.
"""

import contextvars
import json

from django.contrib import messages
from django.urls import reverse

from . import checkpoints, merkle, signednote
from .models import AuditEvent

_written: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "audit_written", default=None
)


def body(event_id: int, leaf_hash: str) -> str:
    return f"{checkpoints.origin()}/receipt\nevent {event_id}\nleaf {leaf_hash}\n"


def receipt_for(event: AuditEvent) -> dict:
    leaf_hash = merkle.leaf_hash(event.leaf()).hex()
    sealed = checkpoints.latest()
    sealed_in = sealed.size if sealed and event.seq and sealed.size >= event.seq else None
    return {
        "event": event.pk,
        "leaf_hash": leaf_hash,
        "receipt": signednote.sign(body(event.pk, leaf_hash)),
        "proof": reverse("audit:proof", args=[event.pk]) + "?format=json",
        "sealed_in_checkpoint": sealed_in,
    }


class ReceiptError(Exception):
    pass


def read(text: str) -> tuple[int, str]:
    """(event number, leaf hash) of a receipt file (the JSON or the note alone), once its
    signature verifies."""
    try:
        note = json.loads(text)["receipt"]
    except (ValueError, KeyError, TypeError):
        note = text
    try:
        lines = signednote.verify(note).split("\n")
        if lines[0] != f"{checkpoints.origin()}/receipt":
            raise ValueError("not a receipt of this log")
        return int(lines[1].removeprefix("event ")), lines[2].removeprefix("leaf ")
    except (signednote.NoteError, ValueError, IndexError) as exc:
        raise ReceiptError(f"the receipt does not verify ({exc})") from None


def check(text: str, *, sealed_size: int) -> str:
    """ "" when the log still holds the receipt's event as it was; otherwise what happened."""
    event_id, leaf_hash = read(text)
    event = AuditEvent.objects.filter(pk=event_id).first()
    if event is None:
        return (
            f"deleted: event #{event_id} has a signed receipt (leaf {leaf_hash[:16]}…) but the "
            f"log no longer holds it (the log holds {sealed_size} sealed events)"
        )
    if merkle.leaf_hash(event.leaf()).hex() != leaf_hash:
        return f"altered: event #{event_id} is not the event its signed receipt names"
    return ""


def noted(event_id: int) -> None:
    """Called by audit.services.record: remember the event for the request's receipts (an
    event whose transaction rolled back is not found when the receipts are made)."""
    written = _written.get()
    if written is not None:
        written.append(event_id)


class ReceiptMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return self.get_response(request)
        written: list[int] = []
        token = _written.set(written)
        try:
            response = self.get_response(request)
        finally:
            _written.reset(token)
        user = getattr(request, "user", None)
        if not written or user is None or not user.is_authenticated:
            return response
        mine = list(
            AuditEvent.objects.filter(pk__in=written, actor=user).values_list("pk", flat=True)
        )
        if not mine:
            return response
        urls = [reverse("audit:receipt", args=[pk]) for pk in mine]
        response["Audit-Receipt"] = ", ".join(urls)
        if not request.path.startswith("/api/") and hasattr(request, "_messages"):
            numbers = ", ".join(f"#{pk}" for pk in mine)
            messages.info(
                request,
                f"Recorded in the audit log as event {numbers}. Your receipt: {urls[0]} "
                "(keep it: it proves the event was written).",
            )
        return response
