"""Secrets at rest: payout details (small JSON documents) and tax documents (bytes),
encrypted with Fernet (`cryptography`).

Keys come from `settings.PAYOUT_DETAILS_KEYS`, newest first: the first encrypts, every
one decrypts (MultiFernet), so a key can be rotated without re-encrypting at once.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.PAYOUT_DETAILS_KEYS))


def encrypt_json(data: dict) -> str:
    """A Fernet token (text) of `data` as JSON."""
    return _current().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict:
    """The JSON document inside a token; ValueError when no configured key opens it."""
    if not token:
        return {}
    try:
        return json.loads(_current().decrypt(token.encode()))
    except InvalidToken:
        raise ValueError(
            "The stored details cannot be decrypted with the configured keys."
        ) from None


def encrypt_bytes(data: bytes) -> str:
    """A Fernet token (text) of a document's bytes, with the same keys as `encrypt_json`."""
    return _current().encrypt(data).decode()


def decrypt_bytes(token: str) -> bytes:
    """The bytes inside a token; ValueError when no configured key opens it."""
    try:
        return _current().decrypt(token.encode())
    except InvalidToken:
        raise ValueError(
            "The stored document cannot be decrypted with the configured keys."
        ) from None
