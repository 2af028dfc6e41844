"""The audit log's two secrets, both from the environment, never from the database.

- The chain key (HMAC-SHA256) links each event to the one before it. Someone who can
  write to the database but does not hold it cannot write an event, or re-hash a
  rewritten chain, that verifies. Settings: `AUDIT_HMAC_KEYS`, a list of `id:secret`,
  newest first; new events use the first, older ids stay listed to verify older events.
- The signing key (Ed25519) signs checkpoints of the chain head, kept outside the
  database. Settings: `AUDIT_SIGNING_KEY` (`id:base64 of the 32-byte private key`) and
  `AUDIT_VERIFY_KEYS` (`id:base64 of a 32-byte public key`, for retired signing keys).

The embedded run has development keys of both (settings.DEV_AUDIT_*); production
refuses to start with them.
"""

import base64
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _split(item: str, setting: str) -> tuple[str, str]:
    key_id, sep, value = str(item).strip().partition(":")
    if not sep or not key_id or not value or len(key_id) > 16:
        raise ImproperlyConfigured(f"{setting}: each entry is `id:value` (id ≤ 16 characters).")
    return key_id, value


def chain_keys() -> dict[str, bytes]:
    """Every chain key by id, the current one first."""
    keys = {}
    for item in settings.AUDIT_HMAC_KEYS:
        key_id, secret = _split(item, "AUDIT_HMAC_KEYS")
        if len(secret) < 32:
            raise ImproperlyConfigured("AUDIT_HMAC_KEYS: each secret has 32 or more characters.")
        keys[key_id] = secret.encode()
    if not keys:
        raise ImproperlyConfigured("AUDIT_HMAC_KEYS must name at least one key.")
    return keys


def current_chain_key() -> tuple[str, bytes]:
    return next(iter(chain_keys().items()))


def _private(text: str) -> tuple[str, Ed25519PrivateKey]:
    key_id, encoded = _split(text, "AUDIT_SIGNING_KEY")
    try:
        raw = base64.b64decode(encoded, validate=True)
        return key_id, Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "AUDIT_SIGNING_KEY is `id:` and the base64 of a 32-byte Ed25519 private key."
        ) from exc


def public_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def signing_key() -> tuple[str, Ed25519PrivateKey]:
    return _private(settings.AUDIT_SIGNING_KEY)


def verify_keys() -> dict[str, Ed25519PublicKey]:
    """Public keys by id: the current signing key's and every retired one's."""
    key_id, private = signing_key()
    keys = {key_id: private.public_key()}
    for item in settings.AUDIT_VERIFY_KEYS:
        old_id, encoded = _split(item, "AUDIT_VERIFY_KEYS")
        try:
            keys.setdefault(
                old_id, Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded, validate=True))
            )
        except ValueError as exc:
            raise ImproperlyConfigured(
                "AUDIT_VERIFY_KEYS: each entry is `id:` and the base64 of a 32-byte public key."
            ) from exc
    return keys


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    public: str
    current: bool


def published_keys() -> list[PublicKey]:
    current = signing_key()[0]
    return [
        PublicKey(key_id, public_text(key), key_id == current)
        for key_id, key in verify_keys().items()
    ]


def verify_signature(key_id: str, signature: str, message: bytes) -> bool:
    key = verify_keys().get(key_id)
    if key is None:
        return False
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def sign(message: bytes) -> tuple[str, str]:
    key_id, private = signing_key()
    return key_id, base64.b64encode(private.sign(message)).decode()


def new_signing_key(key_id: str) -> tuple[str, str]:
    """A fresh signing key: (`AUDIT_SIGNING_KEY` value, its `AUDIT_VERIFY_KEYS` entry)."""
    private = Ed25519PrivateKey.generate()

    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return (
        f"{key_id}:{base64.b64encode(raw).decode()}",
        f"{key_id}:{public_text(private.public_key())}",
    )
