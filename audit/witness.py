"""Witnesses (C2SP tlog-witness, tlog-cosignature): someone outside the instance who checks
that each new checkpoint extends the last one they saw, and cosigns it.

`manage.py audit_witness URL` is the witness (a separate process; a tester collective can run
it against any instance): it fetches the instance's newest checkpoint, verifies the log's
signature with the verifier key it was given, asks for a consistency proof from the last
checkpoint it cosigned, and cosigns only a checkpoint that extends it. The cosignature is a
signature line of the C2SP `tlog-cosignature/v1` form: `— <witness name> base64(key id ||
8-byte timestamp || Ed25519 signature of "cosignature/v1\\ntime <timestamp>\\n" + the
checkpoint's text)`, with key id SHA-256(name || 0x0A || 0x04 || public key)[:4].

The instance publishes cosignatures beside its checkpoints (POSTed to /audit/cosignatures/,
kept when they verify with a key in AUDIT_WITNESS_KEYS); `audit_verify` then holds the log
against every checkpoint a witness cosigned.
"""

import base64
import hashlib
import json
import struct
import time
import urllib.request
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

from . import merkle, signednote

COSIGNATURE = b"\x04"
DASH = "\u2014"


class WitnessError(Exception):
    """A checkpoint the witness refuses to cosign, or a cosignature that does not verify."""


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + COSIGNATURE + _raw(public)).digest()[:4]


def verifier_key(name: str, public: Ed25519PublicKey) -> str:
    encoded = base64.b64encode(COSIGNATURE + _raw(public)).decode()
    return f"{name}+{key_id(name, public).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, bytes, Ed25519PublicKey, bytes]:
    """(name, key id, public key, algorithm byte) of a C2SP verifier key."""
    try:
        name, kid, encoded = vkey.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw[1:])
    except ValueError as exc:
        raise WitnessError(f"not a verifier key: {vkey[:40]}") from exc
    return name, bytes.fromhex(kid), public, raw[:1]


def _message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def cosign(text: str, name: str, private: Ed25519PrivateKey, timestamp: int | None = None) -> str:
    """The cosignature line of a checkpoint's text."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = private.sign(_message(text, timestamp))
    blob = key_id(name, private.public_key()) + struct.pack(">Q", timestamp) + signature
    return f"{DASH} {name} {base64.b64encode(blob).decode()}"


def verify_cosignature(text: str, line: str, vkeys: list[str]) -> str:
    """The witness name when `line` is a valid cosignature of `text` by a key of `vkeys`."""
    if not line.startswith(f"{DASH} "):
        raise WitnessError("a cosignature line starts with an em dash")
    name, _, encoded = line[2:].rpartition(" ")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise WitnessError("a cosignature is base64") from exc
    for vkey in vkeys:
        vname, kid, public, alg = parse_verifier_key(vkey)
        if vname != name or kid != blob[:4] or alg != COSIGNATURE or len(blob) != 76:
            continue
        (timestamp,) = struct.unpack(">Q", blob[4:12])
        try:
            public.verify(blob[12:], _message(text, timestamp))
        except InvalidSignature as exc:
            raise WitnessError(f"the cosignature of {name} does not verify") from exc
        return name
    raise WitnessError(f"{name} is not a witness this instance knows (AUDIT_WITNESS_KEYS)")


def fetch_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - an operator's URL
        return json.loads(response.read())


def post_json(url: str, doc: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(doc).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def _open(note: str, log_key: str) -> tuple[str, int, bytes]:
    name, kid, public, _ = parse_verifier_key(log_key)
    try:
        text = signednote.verify(note, {(name, kid): public})
    except signednote.NoteError as exc:
        raise WitnessError(f"the checkpoint is not signed by the log's key ({exc})") from exc
    lines = text.split("\n")
    return text, int(lines[1]), base64.b64decode(lines[2])


def witness(
    base_url: str, *, name: str, private: Ed25519PrivateKey, log_key: str, state: Path
) -> tuple[int, str]:
    """Check the instance's newest checkpoint against the last one cosigned and cosign it:
    (its size, the cosignature line). Raises WitnessError naming what it refuses."""
    base = base_url.rstrip("/")
    listing = fetch_json(f"{base}/audit/checkpoints/?format=json")
    if not listing.get("checkpoints"):
        raise WitnessError("the instance has published no checkpoint yet")
    note = listing["checkpoints"][0]["checkpoint"]
    text, size, root = _open(note, log_key)
    origin = text.split("\n")[0]
    seen_file = state / (hashlib.sha256(origin.encode()).hexdigest()[:16] + ".checkpoint")
    if seen_file.exists():
        _, old_size, old_root = _open(seen_file.read_text(encoding="utf-8"), log_key)
        if size < old_size:
            raise WitnessError(
                f"rolled back: the newest checkpoint has {size} events, "
                f"the one cosigned before had {old_size}"
            )
        if size == old_size and root != old_root:
            raise WitnessError(f"forked: two different trees of {size} events were signed")
        if size > old_size:
            proof = fetch_json(f"{base}/audit/consistency/?from={old_size}&to={size}")
            try:
                merkle.verify_consistency(
                    old_size, size, old_root, root, [bytes.fromhex(p) for p in proof["path"]]
                )
            except (merkle.ProofError, KeyError, ValueError) as exc:
                raise WitnessError(
                    f"inconsistent: the tree of {size} does not extend the tree of {old_size} "
                    f"cosigned before ({exc})"
                ) from None
    line = cosign(text, name, private)
    state.mkdir(parents=True, exist_ok=True)
    seen_file.write_text(note, encoding="utf-8")
    return size, line


def known_keys() -> list[str]:
    return list(settings.AUDIT_WITNESS_KEYS)
