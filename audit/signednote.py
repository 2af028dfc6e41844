"""C2SP signed notes (c2sp.org/signed-note) signed with the audit signing key.

A note is UTF-8 text ending in a newline, a blank line, then one line per signature:
`— <key name> <base64(4-byte key id || Ed25519 signature of the text)>`. The key id is the
first four bytes of SHA-256(key name || 0x0A || 0x01 || 32-byte public key). The audit
log's checkpoints use the same format with the same key (audit.keys), so one verifier
checks both; the consent registry (provenance.registry) signs its documents here too.

Only `audit.keys`' signing key is used: this module holds no key of its own.
"""

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

from . import keys

ED25519 = b"\x01"
DASH = "\u2014"


class NoteError(ValueError):
    """A note that is malformed or whose signature does not verify."""


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_name() -> str:
    return settings.SIGNED_NOTE_KEY_NAME


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    """The 4-byte key id of an Ed25519 key under `name`."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + _raw(public)).digest()[:4]


def verifier_key(name: str, public: Ed25519PublicKey) -> str:
    """The key as verifiers configure it: `<name>+<key id, hex>+<base64(0x01 || key)>` (the
    form Go's golang.org/x/mod/sumdb/note reads)."""
    encoded = base64.b64encode(ED25519 + _raw(public)).decode()
    return f"{name}+{key_id(name, public).hex()}+{encoded}"


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("A note's text ends with a newline.")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("A note's text holds no control characters but newlines.")


def sign(text: str, *, name: str | None = None) -> str:
    """The signed note of `text`, signed with the current audit signing key."""
    _check_text(text)
    name = name or key_name()
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError("A key name is not empty and holds no spaces or plus signs.")
    _, private = keys.signing_key()
    signature = private.sign(text.encode())
    line = base64.b64encode(key_id(name, private.public_key()) + signature).decode()
    return f"{text}\n{DASH} {name} {line}\n"


def split(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """(text, [(key name, key id, signature)]) of a note, without verifying anything."""
    head, sep, tail = note.rpartition("\n\n")
    if not sep or not tail.endswith("\n"):
        raise NoteError("A note is its text, a blank line and its signature lines.")
    text = head + "\n"
    _check_text(text)
    signatures = []
    for line in tail[:-1].split("\n"):
        prefix = f"{DASH} "
        if not line.startswith(prefix):
            raise NoteError("A signature line starts with an em dash and a space.")
        name, _, encoded = line[len(prefix) :].rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise NoteError("A signature is base64.") from exc
        if not name or len(raw) < 5:
            raise NoteError("A signature line names its key and carries a key id and bytes.")
        signatures.append((name, raw[:4], raw[4:]))
    return text, signatures


def verify(note: str, known: dict[tuple[str, bytes], Ed25519PublicKey] | None = None) -> str:
    """The note's text once a signature by a known key verifies (the published audit keys
    under `key_name()` unless `known` maps (name, key id) to public keys); a known key whose
    signature fails rejects the whole note, and a note no known key signed is rejected."""
    if known is None:
        known = published_keys()
    text, signatures = split(note)
    verified = False
    for name, kid, signature in signatures:
        public = known.get((name, kid))
        if public is None:
            continue  # signatures of unknown keys are ignored, as the format says
        try:
            public.verify(signature, text.encode())
        except InvalidSignature as exc:
            raise NoteError(f"The signature of {name} does not verify.") from exc
        verified = True
    if not verified:
        raise NoteError("No known key signed this note.")
    return text


def published_keys() -> dict[tuple[str, bytes], Ed25519PublicKey]:
    """The audit signing keys (current and retired) as (key name, key id) → public key."""
    name = key_name()
    return {(name, key_id(name, public)): public for public in keys.verify_keys().values()}


def signature_lines(note: str) -> list[str]:
    """The signature lines of a signed note, as `— name base64`."""
    return note.rpartition("\n\n")[2].rstrip("\n").split("\n")
