"""Signed checkpoints of the Merkle tree, kept inside and outside the database.

A checkpoint is a C2SP `tlog-checkpoint`: the origin line (SIGNED_NOTE_KEY_NAME), the tree
size and the base64 root hash, in a C2SP signed note signed with the audit signing key
(audit.signednote, the product's one implementation of signed notes). The sequencer signs
one whenever the tree grew; it is kept as an `AuditCheckpoint` row (for the pages and the
proofs) and as a file in AUDIT_CHECKPOINT_DIR, which the database does not hold: whoever
keeps a copy (the directory, a tester, a witness) can later prove that the log was not cut
back or rewritten behind it.

Checkpoints of the hash chain that came before the tree (format 1, JSON files naming the
chain's last event and its hash) are still read and held against the events.
"""

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from . import keys, signednote
from .models import AuditCheckpoint

LEGACY_FORMAT = "terms-and-testers audit checkpoint v1"
SUFFIX = ".checkpoint"


class CheckpointError(Exception):
    """A checkpoint that cannot be read or whose signature does not verify."""


@dataclass(frozen=True)
class Signed:
    """A checkpoint whose signature verified."""

    size: int
    root: bytes
    note: str
    source: str = ""  # where it was read from

    @property
    def root_hex(self) -> str:
        return self.root.hex()


@dataclass(frozen=True)
class Legacy:
    """A checkpoint of the old hash chain: event `seq` hashed to `hash`."""

    seq: int
    hash: str
    at: str
    key_id: str
    signature: str
    source: str = ""

    def message(self) -> bytes:
        return f"{LEGACY_FORMAT}\n{self.seq}\n{self.hash}\n{self.at}\n{self.key_id}\n".encode()

    @property
    def signed_ok(self) -> bool:
        return keys.verify_signature(self.key_id, self.signature, self.message())


def origin() -> str:
    return signednote.key_name()


def body(size: int, root: bytes) -> str:
    return f"{origin()}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign(size: int, root: bytes) -> str:
    return signednote.sign(body(size, root))


def open_note(note: str, *, source: str = "") -> Signed:
    """The checkpoint in a signed note, once an audit key's signature on it verifies."""
    try:
        text = signednote.verify(note)
    except signednote.NoteError as exc:
        raise CheckpointError(f"{source or 'a checkpoint'}: {exc}") from None
    lines = text.split("\n")
    try:
        if lines[0] != origin():
            raise ValueError(f"the origin is {lines[0]!r}, not {origin()!r}")
        size, root = int(lines[1]), base64.b64decode(lines[2], validate=True)
        if size < 0 or len(root) != 32:
            raise ValueError("the size or the root hash is malformed")
    except (ValueError, IndexError) as exc:
        raise CheckpointError(f"{source or 'a checkpoint'} is not a checkpoint ({exc})") from None
    return Signed(size, root, note, source)


def directory(path=None) -> Path:
    return Path(path or settings.AUDIT_CHECKPOINT_DIR)


def file_name(size: int) -> str:
    return f"tree-{size:012d}{SUFFIX}"


def write_file(note: str, size: int, path=None) -> Path:
    """Write a signed checkpoint whole or not at all (a temporary file, then renamed)."""
    folder = directory(path)
    folder.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=SUFFIX)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(note)
    target = folder / file_name(size)
    os.replace(tmp, target)
    return target


def read_dir(path=None) -> list[Signed]:
    """Every checkpoint file in the directory, smallest tree first; a file that is not a
    signed checkpoint raises."""
    folder = directory(path)
    if not folder.is_dir():
        return []
    found = [
        open_note(file.read_text(encoding="utf-8"), source=file.name)
        for file in sorted(folder.glob(f"*{SUFFIX}"))
        if not file.name.startswith(".")
    ]
    return sorted(found, key=lambda c: c.size)


def newest_file(path=None) -> Signed | None:
    """The newest checkpoint file (by name: sizes are zero-padded), read and verified."""
    folder = directory(path)
    if not folder.is_dir():
        return None
    files = sorted(f for f in folder.glob(f"*{SUFFIX}") if not f.name.startswith("."))
    if not files:
        return None
    return open_note(files[-1].read_text(encoding="utf-8"), source=files[-1].name)


def read_legacy(path=None) -> list[Legacy]:
    """The old chain's checkpoints (JSON files), oldest first."""
    folder = directory(path)
    if not folder.is_dir():
        return []
    found = []
    for file in sorted(folder.glob("checkpoint-*.json")):
        try:
            data = json.loads(file.read_text())
            if data.get("format") != LEGACY_FORMAT:
                raise ValueError("unknown format")
            found.append(
                Legacy(
                    seq=int(data["seq"]),
                    hash=str(data["hash"]),
                    at=str(data["at"]),
                    key_id=str(data["key_id"]),
                    signature=str(data["signature"]),
                    source=file.name,
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{file.name} is not a readable checkpoint ({exc})") from None
    return sorted(found, key=lambda c: c.seq)


def latest() -> AuditCheckpoint | None:
    """The newest checkpoint the sequencer signed (for the pages and the proofs)."""
    return AuditCheckpoint.objects.order_by("-size").first()


def recent(limit: int = 20) -> list[AuditCheckpoint]:
    return list(AuditCheckpoint.objects.order_by("-size")[:limit])


def store(note: str, size: int, root: bytes, at: datetime) -> AuditCheckpoint:
    return AuditCheckpoint.objects.create(size=size, root=root.hex(), note=note, signed_at=at)


def verifier_keys() -> list[dict]:
    """The public keys that verify the checkpoints, in C2SP verifier-key form."""
    name = origin()
    current = keys.signing_key()[0]
    return [
        {
            "key_id": key_id,
            "verifier_key": signednote.verifier_key(name, public),
            "ed25519_public_key": keys.public_text(public),
            "current": key_id == current,
        }
        for key_id, public in keys.verify_keys().items()
    ]
