"""Signed checkpoints of the chain head, kept outside the database.

A checkpoint says "on <date> the chain held <seq> events and event <seq> hashed to <hash>",
signed with the Ed25519 signing key (audit/keys.py). They are written every few minutes
(Celery beat, `audit.tasks.write_checkpoint`) and after the demo is seeded, as one JSON
file each in `settings.AUDIT_CHECKPOINT_DIR`, and published on the public page
`/audit/checkpoints/` and in every participant's data download. Whoever keeps a copy can
later prove that the chain was not cut back, rolled back or rewritten behind it: the
database holds neither the chain key nor the signing key, so nobody with only database
access can forge a chain that fits, nor a checkpoint that verifies.
"""

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import keys
from .models import AuditEvent, AuditHead
from .selectors import VerifyResult

log = logging.getLogger(__name__)
FORMAT = "terms-and-testers audit checkpoint v1"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str  # ISO 8601, UTC
    key_id: str
    signature: str

    def message(self) -> bytes:
        return f"{FORMAT}\n{self.seq}\n{self.hash}\n{self.at}\n{self.key_id}\n".encode()

    @property
    def signed_ok(self) -> bool:
        return keys.verify_signature(self.key_id, self.signature, self.message())

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)

    def as_dict(self) -> dict:
        return {"format": FORMAT, **asdict(self)}


class CheckpointError(Exception):
    """A checkpoint file that cannot be read, or a chain that must not be checkpointed."""


def directory(path=None) -> Path:
    return Path(path or settings.AUDIT_CHECKPOINT_DIR)


def read(path=None) -> list[Checkpoint]:
    """Every checkpoint in the directory, oldest first. A file that is not a checkpoint raises."""
    folder = directory(path)
    if not folder.is_dir():
        return []
    found = []
    for file in sorted(folder.glob("checkpoint-*.json")):
        try:
            data = json.loads(file.read_text())
            if data.get("format") != FORMAT:
                raise ValueError("unknown format")
            found.append(
                Checkpoint(
                    seq=int(data["seq"]),
                    hash=str(data["hash"]),
                    at=str(data["at"]),
                    key_id=str(data["key_id"]),
                    signature=str(data["signature"]),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{file.name} is not a readable checkpoint ({exc})") from None
    return sorted(found, key=lambda c: (c.seq, c.at))


def latest(path=None) -> Checkpoint | None:
    """The newest checkpoint whose signature verifies (for the public page and my-data)."""
    try:
        signed = [c for c in read(path) if c.signed_ok]
    except CheckpointError:
        return None
    return signed[-1] if signed else None


def recent(limit: int = 20, path=None) -> list[Checkpoint]:
    try:
        return [c for c in read(path) if c.signed_ok][-limit:][::-1]
    except CheckpointError:
        return []


def sign(*, seq: int, hash: str, at: datetime) -> Checkpoint:
    stamp = at.astimezone(UTC).isoformat()
    key_id = keys.signing_key()[0]
    unsigned = Checkpoint(seq=seq, hash=hash, at=stamp, key_id=key_id, signature="")
    _, signature = keys.sign(unsigned.message())
    return Checkpoint(seq=seq, hash=hash, at=stamp, key_id=key_id, signature=signature)


def _segment_holds(since: Checkpoint | None, head) -> str:
    """Check the events since the last checkpoint before signing a new head ("" if they hold)."""
    keys_by_id = keys.chain_keys()
    start = 1
    prev = "0" * 64
    if since is not None:
        anchor = AuditEvent.objects.filter(seq=since.seq).first()
        if anchor is None or anchor.hash != since.hash:
            return f"event #{since.seq} no longer matches the checkpoint of {since.at}"
        start, prev = since.seq + 1, since.hash
    expected = start
    for event in AuditEvent.objects.filter(seq__gte=start, seq__lte=head.seq).order_by("seq"):
        if event.seq != expected or event.prev_hash != prev:
            return f"the chain breaks at event #{expected}"
        if event.key_id not in keys_by_id or event.compute_hash() != event.hash:
            return f"event #{event.seq} does not verify"
        prev, expected = event.hash, expected + 1
    if expected != head.seq + 1 or prev != head.hash:
        return f"the head (#{head.seq}) does not match the chain's end (#{expected - 1})"
    return ""


def write(*, path=None, now: datetime | None = None) -> Checkpoint | None:
    """Sign the current head and write it as a new file; None when nothing moved since the
    last checkpoint. The events since the last checkpoint are verified first: a chain that
    was tampered with is never signed (CheckpointError, logged for the operator).
    """
    folder = directory(path)
    previous = latest(folder)
    with transaction.atomic():
        head = AuditHead.objects.filter(pk=1).first()
        if head is None or head.seq == 0:
            return None
        if previous and previous.seq == head.seq and previous.hash == head.hash:
            return None
        if previous and head.seq < previous.seq:
            problem = f"the head (#{head.seq}) is behind the last checkpoint (#{previous.seq})"
        else:
            problem = _segment_holds(previous, head)
        if problem:
            log.error("audit checkpoint refused: %s", problem)
            raise CheckpointError(f"Not signing the audit head: {problem}.")
        checkpoint = sign(seq=head.seq, hash=head.hash, at=now or timezone.now())
    folder.mkdir(parents=True, exist_ok=True)
    name = f"checkpoint-{checkpoint.seq:012d}-{checkpoint.when:%Y%m%dT%H%M%S%f}.json"
    # Written whole or not at all: a temporary file in the same directory, then renamed.
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    with os.fdopen(handle, "w") as out:
        json.dump(checkpoint.as_dict(), out, indent=2)
        out.write("\n")
    os.replace(tmp, folder / name)
    return checkpoint


def verify_against(result, *, path=None):
    """Hold an intact chain's result (from selectors.verify_chain) against the checkpoints.

    Returns (result, checkpoints read). The chain fails when a checkpoint's signature does
    not verify, when the chain ends before a checkpoint (cut back), or when the event a
    checkpoint names now hashes otherwise (rolled back and rewritten).
    """

    try:
        found = read(path)
    except CheckpointError as exc:
        return VerifyResult(False, result.checked, None, f"checkpoints: {exc}"), 0
    for checkpoint in found:
        if not checkpoint.signed_ok:
            return (
                VerifyResult(
                    False,
                    result.checked,
                    None,
                    f"checkpoints: the checkpoint of #{checkpoint.seq} at {checkpoint.at} "
                    f"has no valid signature (key “{checkpoint.key_id}”)",
                ),
                len(found),
            )
    if not result.ok or not found:
        return result, len(found)
    end = result.checked
    newest = found[-1]
    if end < newest.seq:
        return (
            VerifyResult(
                False,
                end,
                end + 1,
                f"cut back: the chain ends at #{end}, but the checkpoint signed at "
                f"{newest.at} covers #{newest.seq}; {newest.seq - end} event(s) are gone",
            ),
            len(found),
        )
    hashes = dict(
        AuditEvent.objects.filter(seq__in=[c.seq for c in found]).values_list("seq", "hash")
    )
    for checkpoint in found:
        if hashes.get(checkpoint.seq) != checkpoint.hash:
            return (
                VerifyResult(
                    False,
                    checkpoint.seq - 1,
                    checkpoint.seq,
                    f"rolled back and rewritten: event #{checkpoint.seq} is not the event the "
                    f"checkpoint signed at {checkpoint.at} names",
                ),
                len(found),
            )
    return result, len(found)
