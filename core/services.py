"""Notifications through the outbox; create forms that create once."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction

from . import timezones
from .db import insert_rows
from .errors import DomainError
from .models import FormSubmission, OutboxMessage, PersonSettings
from .tasks import send_outbox_message, send_outbox_messages
from .text import header_safe

log = logging.getLogger(__name__)


def enqueue_after_commit(task, *args) -> None:
    """Queue `task` once the current transaction commits.

    A broker that is down must not fail or stall the request: the error is
    logged and the periodic sweep picks the work up from the database later.
    """

    def send():
        try:
            task.delay(*args)
        except Exception:  # noqa: BLE001 - any broker error is survivable here
            log.warning("Could not queue %s%s; the periodic sweep will retry", task.name, args)

    transaction.on_commit(send)


def notify(
    *,
    user=None,
    email: str = "",
    subject: str,
    body: str,
    dedupe_key: str,
    url: str = "",
    programme=None,
) -> OutboxMessage | None:
    """Queue one notification to `user`, sent after the current transaction commits.

    Calling it twice with the same `dedupe_key` queues it once. `email` is for
    people without an account yet (invitations). `programme` (a programme, or None) is
    stored as its id.
    """

    to_email = email or (user.email if user is not None else "")
    if not to_email:
        return None
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                dedupe_key=dedupe_key[:200],
                recipient=user,
                to_email=to_email,
                subject=header_safe(subject)[:200],
                body=body,
                url=url,
                programme_id=programme.pk if programme is not None else None,
            )
    except IntegrityError:
        return OutboxMessage.objects.filter(dedupe_key=dedupe_key[:200]).first()
    enqueue_after_commit(send_outbox_message, message.pk)
    return message


def notify_many(messages: list[dict], *, programme=None) -> int:
    """`notify` for many people at once (a sweep's decisions): each dict has
    `recipient_id`, `to_email`, `subject`, `body`, `dedupe_key` and `url`. One insert per
    chunk; a key already queued is skipped, as `notify` skips it. The messages are sent
    after commit, a task per chunk of ids. Returns how many were queued."""

    rows = []
    for m in messages:
        if not m["to_email"]:
            continue
        rows.append(
            (
                m["dedupe_key"][:200],
                m["recipient_id"],
                m["to_email"],
                header_safe(m["subject"])[:200],
                m["body"],
                m.get("url", ""),
                programme.pk if programme is not None else None,
            )
        )
    fields = ["dedupe_key", "recipient", "to_email", "subject", "body", "url", "programme_id"]
    ids = [pk for pk in insert_rows(OutboxMessage, fields, rows, skip_existing="dedupe_key") if pk]
    for start in range(0, len(ids), 500):
        enqueue_after_commit(send_outbox_messages, ids[start : start + 500])
    return len(ids)


@transaction.atomic
def submit_once(*, user, token: str, create: Callable[[], str]) -> tuple[str, bool]:
    """Run `create` (which makes a record and returns its address) once per form token.

    Returns `(address, created)`. The token row is written before `create` runs and in the
    same transaction, so a second post of the same form waits for the first (PostgreSQL:
    on the unique index; SQLite: on the write lock) and then gets the first one's address;
    `create` refusing (a `DomainError`) rolls the token back with it, so the person can fix
    the form and send it again. A post without a token (a script, not the rendered form)
    simply creates.
    """
    if not token:
        return create(), True
    try:
        with transaction.atomic():
            claim = FormSubmission.objects.create(user=user, token=token[:64])
    except IntegrityError:
        previous = FormSubmission.objects.get(user=user, token=token[:64])
        return previous.result_url, False
    address = create()
    claim.result_url = address[:500]
    claim.save(update_fields=["result_url"])
    return address, True


def language_set(*, actor, language: str) -> PersonSettings:
    """Keep the person's choice of interface language (one of settings.LANGUAGES)."""
    if language not in dict(settings.LANGUAGES):
        raise DomainError("We do not offer that language.", code="language")
    row, _ = PersonSettings.objects.update_or_create(user=actor, defaults={"language": language})
    return row


def time_zone_set(*, actor, time_zone: str) -> PersonSettings:
    """Keep the person's time zone (an IANA name), or blank for the browser's."""
    time_zone = (time_zone or "").strip()
    if time_zone and time_zone not in timezones.names():
        raise DomainError(
            "We do not know that time zone: choose one from the list.", code="time_zone"
        )
    row, _ = PersonSettings.objects.update_or_create(user=actor, defaults={"time_zone": time_zone})
    return row
