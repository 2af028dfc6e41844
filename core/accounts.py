"""Email is an authentication factor: where security mail goes while an address is new.

Whoever holds a session (a stolen password is enough) could otherwise add their own
address, make it primary and have the two-factor set-up code or a password reset mailed
to it. So for `HOLD` after an address is added or made primary it receives no security
mail: set-up codes and password resets go to the address that was primary before (the
person it belongs to can still read them), and a change of the primary address is
mailed to the old address with a link that undoes it for `UNDO`.

The pages and the rules about who may change addresses at all (staff need two-factor
first) are in `programs.accounts`, where the policy is; this module keeps the record
(`EmailChange`) that core's own mail (`core.mfa`, `core.adapters`) reads.
"""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from .models import EmailChange

HOLD = timedelta(hours=24)
UNDO = timedelta(days=7)


def _recent(user, now=None):
    now = now or timezone.now()
    return EmailChange.objects.filter(user=user, created_at__gt=now - HOLD, undone_at__isnull=True)


def trusted_address(user, now=None) -> str:
    """Where security mail for `user` goes: the primary address, or, while it is less than
    `HOLD` old, the primary address before it."""
    change = _recent(user, now).filter(kind=EmailChange.Kind.PRIMARY).order_by("created_at")
    first = change.first()
    return first.old_email if first is not None and first.old_email else user.email


def is_held(user, email: str, now=None) -> bool:
    """Was `email` added to `user`'s account, or made primary, less than `HOLD` ago?"""
    return _recent(user, now).filter(new_email__iexact=email).exists()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def note_added(user, email: str) -> EmailChange:
    return EmailChange.objects.create(user=user, kind=EmailChange.Kind.ADDED, new_email=email)


def note_primary(user, old_email: str, new_email: str) -> tuple[EmailChange, str]:
    """Record a change of the primary address; returns it and the plain undo token (mailed
    to the old address, kept only as its hash)."""
    token = secrets.token_urlsafe(32)
    change = EmailChange.objects.create(
        user=user,
        kind=EmailChange.Kind.PRIMARY,
        old_email=old_email,
        new_email=new_email,
        undo_token_hash=token_hash(token),
    )
    return change, token


def change_by_token(token: str, now=None) -> EmailChange | None:
    """The change of the primary address this undo link is for, while it may be undone."""
    now = now or timezone.now()
    if not token or len(token) > 100:
        return None
    return (
        EmailChange.objects.filter(
            kind=EmailChange.Kind.PRIMARY,
            undo_token_hash=token_hash(token),
            created_at__gt=now - UNDO,
            undone_at__isnull=True,
        )
        .select_related("user")
        .first()
    )
