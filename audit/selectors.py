"""Reading and verifying the audit log: proofs for one event, and `verify_log` for all.

`verify_log` checks, in one walk of the events in their tree order: every keyed hash (an
event altered), the links of the chain that came before the tree, that positions run
without a gap (an event removed), the tree's root at the size of every checkpoint it is
held against (rolled back and rewritten), that the log is not shorter than any of them (cut
back), the stored tree, and the records the events bind (audit.binding).
"""

import base64
from dataclasses import dataclass

from django.db.models import Max

from . import binding, checkpoints, merkle, scan
from .models import GENESIS_HASH, AuditCheckpoint, AuditCosignature, AuditEvent, AuditTree
from .tree import StoredTree, TreeBroken, fold, perfect_parts


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad: int | None = None  # the number of the first bad event, when one is named
    problem: str = ""
    held_against: int = 0  # how many checkpoints the tree was held against
    records: int = 0  # how many bound records were checked


@dataclass(frozen=True)
class Anchor:
    """A tree size and root the log must still hold: a checkpoint, whoever kept it."""

    size: int
    root: bytes
    source: str


def anchors(path=None, given: list[str] = ()) -> tuple[list[Anchor], str]:
    """Every checkpoint to hold the log against: the directory's, the database's, the ones
    given on the command line and those witnesses cosigned; and a problem ("" if none)."""
    found: list[Anchor] = []
    try:
        files = checkpoints.read_dir(path)
    except checkpoints.CheckpointError as exc:
        return [], f"checkpoints: {exc}"
    found += [Anchor(c.size, c.root, f"the checkpoint file {c.source}") for c in files]
    made = AuditCheckpoint.objects.count()
    if made and not files:
        return [], (
            f"the checkpoint directory {checkpoints.directory(path)} is missing or empty, but "
            f"the database records {made} signed checkpoint(s)"
        )
    for note in AuditCheckpoint.objects.values_list("note", flat=True).iterator(chunk_size=2000):
        try:
            c = checkpoints.open_note(note)
        except checkpoints.CheckpointError as exc:
            return [], f"checkpoints: a checkpoint in the database does not verify ({exc})"
        found.append(Anchor(c.size, c.root, "the database's checkpoint"))
    for i, note in enumerate(given, 1):
        try:
            c = checkpoints.open_note(note, source=f"checkpoint given #{i}")
        except checkpoints.CheckpointError as exc:
            return [], f"checkpoints: {exc}"
        found.append(Anchor(c.size, c.root, f"the checkpoint given #{i}"))
    for size, name in AuditCosignature.objects.values_list("size", "witness"):
        row = AuditCheckpoint.objects.filter(size=size).values_list("root", flat=True).first()
        if row is None:
            return [], (
                f"cut back: the witness {name} cosigned the checkpoint of {size} events, "
                "which the database no longer holds"
            )
        found.append(Anchor(size, bytes.fromhex(row), f"the checkpoint {name} cosigned"))
    return found, ""


def _legacy_problem(path) -> str:
    try:
        legacy = checkpoints.read_legacy(path)
    except checkpoints.CheckpointError as exc:
        return f"checkpoints: {exc}"
    if not legacy:
        return ""
    hashes = dict(
        AuditEvent.objects.filter(seq__in=[c.seq for c in legacy]).values_list("seq", "hash")
    )
    for c in legacy:
        if not c.signed_ok:
            return f"checkpoints: the chain checkpoint {c.source} has no valid signature"
        if hashes.get(c.seq) != c.hash:
            return (
                f"rolled back and rewritten: the event at position {c.seq} is not the one the "
                f"chain checkpoint {c.source} names"
            )
    return ""


def _walk(
    result: VerifyResult, marks: dict[int, list[Anchor]], binds: dict
) -> tuple[merkle.CompactRange, str]:
    """Check every event in tree order; (the tree rebuilt, a problem or ""). Notes in `binds`
    the records the events bind (`_bind`)."""
    compact = merkle.CompactRange()
    append = compact.append
    prev_chained = GENESIS_HASH
    for pk, seq, prev_hash, event_hash, hash_fits, leaf, fields, record in scan.hashed():
        if record:
            _bind(binds, pk, fields, record)
        if not hash_fits:
            result.first_bad = pk
            return compact, f"altered: event #{pk} was altered (its keyed hash does not fit)"
        if prev_hash:  # a link of the chain that came before the tree
            if prev_hash != prev_chained:
                result.first_bad = pk
                return compact, f"altered: event #{pk} does not link to the event before it"
            prev_chained = event_hash
        result.checked += 1
        if seq is None:
            continue  # written, not yet sealed: nothing to hold it against yet
        if seq != compact.size + 1:
            result.first_bad = pk
            return compact, (
                f"removed: the event at position {compact.size + 1} is missing "
                f"(the next is event #{pk} at {seq})"
            )
        append(leaf)
        held = marks.get(seq)
        if held:
            for anchor in held:
                if compact.root() != anchor.root:
                    result.first_bad = pk
                    return compact, (
                        f"rolled back and rewritten: the log's first {anchor.size} events are "
                        f"not the ones {anchor.source} signed"
                    )
            result.held_against += len(held)
    return compact, ""


def verify_log(*, path=None, given: list[str] = (), records: bool = True) -> VerifyResult:
    result = VerifyResult(True, 0)
    found, problem = anchors(path, given)
    if not problem:
        problem = _legacy_problem(path)
    if problem:
        return VerifyResult(False, 0, None, problem)
    marks: dict[int, list[Anchor]] = {}
    for a in found:
        marks.setdefault(a.size, []).append(a)
    binds: dict = {}
    if not _at_once(result, found, binds):
        result.checked = result.held_against = 0
        binds.clear()
        compact, problem = _walk(result, marks, binds)
        if not problem:
            problem = _against_tree(compact, found)
    if not problem and records:
        problem = _records(result, binds)
    if problem:
        result.ok, result.problem = False, problem
    return result


def _at_once(result: VerifyResult, found: list[Anchor], binds: dict) -> bool:
    """Whether the log verifies, found from `scan.summary()` (the database hashing every event
    in a few statements) rather than a walk of every event here: True when every check of
    `_walk` and `_against_tree` holds. Anything else (or no summary: SQLite) answers False,
    and the walk then finds and names the problem, as it would have alone."""
    tree = AuditTree.objects.filter(pk=1).first()
    size = tree.size if tree is not None else 0
    summed = scan.summary(size)
    if summed is None or summed.unfit or summed.misplaced or summed.sealed != size:
        return False
    if size and (summed.first != 1 or summed.last != size):
        return False
    chained = GENESIS_HASH
    for _, prev_hash, event_hash in summed.linked:
        if prev_hash != chained:
            return False
        chained = event_hash
    if any(a.size > size for a in found):
        return False
    levels = summed.levels

    def root(n: int) -> bytes:
        parts = [levels[lv][32 * i : 32 * i + 32] for lv, i in perfect_parts(0, n)]
        return fold(parts)

    held = [a for a in found if a.size]
    if any(root(a.size) != a.root for a in held):
        return False
    if size:
        try:
            stored = StoredTree().root(size)
        except TreeBroken:
            return False
        if root(size).hex() != tree.root or stored.hex() != tree.root:
            return False
    result.checked, result.held_against = summed.events, len(held)
    for pk, fields, record in summed.bound:
        _bind(binds, pk, fields, record)
    return True


def _against_tree(compact: merkle.CompactRange, found: list[Anchor]) -> str:
    size = compact.size
    newest = max(found, key=lambda a: a.size, default=None)
    if newest is not None and newest.size > size:
        return (
            f"cut back: the log holds {size} sealed events, but {newest.source} signed "
            f"{newest.size}; {newest.size - size} event(s) are gone"
        )
    tree = AuditTree.objects.filter(pk=1).first()
    if tree is not None and tree.size > size:
        return (
            f"removed: the tree records {tree.size} sealed events but the log holds {size}; "
            f"the last {tree.size - size} were removed"
        )
    if tree is not None and tree.size == size and size and tree.root != compact.root().hex():
        return "altered: the stored tree's root is not the root of the events"
    try:
        stored_root = StoredTree().root(tree.size).hex() if tree is not None and tree.size else ""
    except TreeBroken as exc:
        return f"altered: {exc}"
    if stored_root and stored_root != tree.root:
        return "altered: the stored tree's nodes do not fold to its root"
    return ""


def _bind(binds: dict[str, dict[str, tuple[int, str]]], event_id, fields: str, record_hash):
    """Note that event `event_id` binds the record its `record_fields` name, if it is the
    newest event to: `binds[model label][pk as text] = (event number, record hash)`."""
    label = fields.rsplit('"model":"', 1)[-1].split('"', 1)[0]
    pk = fields.rsplit('"pk":', 1)[-1].rstrip("}")
    by_pk = binds.setdefault(label, {})
    if pk not in by_pk or by_pk[pk][0] < event_id:
        by_pk[pk] = (event_id, record_hash)


def _rows_to_check(model, start: int, bound: dict[str, tuple[int, str]]):
    """The rows made since binding began (each must have an event) and the older rows an
    event binds; older rows no event binds have nothing to be held against."""
    fields = ("pk", *model.AUDIT_BOUND_FIELDS)
    yield from model.objects.filter(pk__gt=start).order_by("pk").values(*fields).iterator(10000)
    older = sorted(int(pk) for pk in bound if pk.isdigit() and int(pk) <= start)
    for i in range(0, len(older), 10000):
        yield from model.objects.filter(pk__in=older[i : i + 10000]).values(*fields)


def _records(result: VerifyResult, newest: dict) -> str:
    """Every bound record still matches the newest event that binds it; every record made
    since binding began has one."""
    tree = AuditTree.objects.filter(pk=1).first()
    unbound_before = (tree.unbound_before if tree else None) or {}
    for model in binding.bound_models():
        label, name = model._meta.label_lower, model._meta.verbose_name
        bound_by = newest.get(label, {})
        for row in _rows_to_check(model, unbound_before.get(label, 0), bound_by):
            pk = row.pop("pk")
            result.records += 1
            bound = bound_by.get(str(pk))
            if bound is None:
                return f"{name} {pk} has no audit event binding it"
            text, digest = binding.state(model, pk, row)
            if digest != bound[1]:
                stored = AuditEvent.objects.get(pk=bound[0]).record_fields
                differ = ", ".join(binding.differing_fields(stored, text)) or "its content"
                verb = "differs" if "," not in differ else "differ"
                return f"{name} {pk}: {differ} {verb} from its event #{bound[0]}"
    return ""


# --- Proofs ---------------------------------------------------------------------------------


def inclusion_proof(event: AuditEvent, checkpoint: AuditCheckpoint | None = None) -> dict | None:
    """The event's inclusion proof against the newest checkpoint (None until it is sealed
    under one): the JSON document of /audit/proof/<id>/."""
    checkpoint = checkpoint or checkpoints.latest()
    if event.seq is None or checkpoint is None or checkpoint.size < event.seq:
        return None
    leaf = event.leaf()
    index = event.seq - 1
    path = StoredTree().inclusion(index, checkpoint.size)
    # Served only when it holds: a stored node altered behind the log would show here.
    try:
        merkle.verify_inclusion(
            index, checkpoint.size, merkle.leaf_hash(leaf), path, bytes.fromhex(checkpoint.root)
        )
    except merkle.ProofError:
        raise TreeBroken(
            f"the stored path of event #{event.pk} does not lead to the root checkpoint "
            f"{checkpoint.size} signed"
        ) from None
    return {
        "event": event.pk,
        "leaf_index": index,
        "tree_size": checkpoint.size,
        "leaf": base64.b64encode(leaf).decode(),
        "leaf_hash": merkle.leaf_hash(leaf).hex(),
        "path": [p.hex() for p in path],
        "root": checkpoint.root,
        "checkpoint": checkpoint.note,
    }


def proof_or_problem(event: AuditEvent) -> dict | None:
    """`inclusion_proof`, or when the stored tree cannot give one a document saying so (for a
    download that must not fail because the log was tampered with)."""
    try:
        return inclusion_proof(event)
    except TreeBroken as exc:
        return {"event": event.pk, "verifies": False, "detail": f"the log does not verify: {exc}"}


def consistency(first: int, second: int) -> dict:
    """The RFC 9162 consistency proof between two tree sizes the log has reached."""
    size = AuditTree.objects.filter(pk=1).values_list("size", flat=True).first() or 0
    if not 0 < first <= second <= size:
        raise merkle.ProofError(
            f"no consistency proof from {first} to {second} (the tree holds {size})"
        )
    stored = StoredTree()
    path = stored.consistency(first, second)
    # Served only when it holds between the roots the log signed (or the stored tree's own).
    signed = dict(
        AuditCheckpoint.objects.filter(size__in=[first, second]).values_list("size", "root")
    )
    if second == size:
        signed.setdefault(second, AuditTree.objects.get(pk=1).root)
    roots = {
        n: bytes.fromhex(signed[n]) if n in signed else stored.root(n) for n in (first, second)
    }
    try:
        merkle.verify_consistency(first, second, roots[first], roots[second], path)
    except merkle.ProofError:
        raise TreeBroken(
            f"the stored nodes between {first} and {second} do not fold to the signed roots"
        ) from None
    return {"from": first, "to": second, "path": [p.hex() for p in path]}


def sealed_size() -> int:
    return AuditEvent.objects.aggregate(top=Max("seq"))["top"] or 0
