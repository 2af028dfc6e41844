"""The audit log as a verifiable log: writes take no position, the sequencer seals them into
an RFC 9162 Merkle tree and signs checkpoints; `audit_verify` names every way of tampering
with it that a person with the database (and no key) has."""

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from audit import checkpoints, receipts, signednote
from audit.models import AuditCheckpoint, AuditEvent, AuditNode, AuditTree, node_key
from audit.services import record
from audit.tasks import sequence
from core.db import AppendOnlyError
from tests.audit.tamper import sql

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "tools" / "audit_proof_verify.py"


def _events(n, start=0, programme=None):
    return [
        record(action="tests.thing.happened", programme=programme, data={"i": i})
        for i in range(start, start + n)
    ]


def _verify(*args):
    call_command("audit_verify", *args)


def _fails(match, *args):
    with pytest.raises(CommandError, match=match) as info:
        call_command("audit_verify", *args)
    return str(info.value)


# --- An independent RFC 9162 implementation, written from the RFC for these tests ----------


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return _h(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return _h(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:]))


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return _path(m, leaves[:k]) + [_mth(leaves[k:])]
    return _path(m - k, leaves[k:]) + [_mth(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return _subproof(m, leaves[:k], whole) + [_mth(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [_mth(leaves[:k])]


def _all_leaves() -> list[bytes]:
    return [e.leaf() for e in AuditEvent.objects.filter(seq__isnull=False).order_by("seq")]


# --- Writing and sealing --------------------------------------------------------------------


def test_a_write_takes_no_position_until_the_sequencer_seals_it_and_signs_a_checkpoint(db):
    events = _events(3)
    assert [e.seq for e in AuditEvent.objects.order_by("id")] == [None, None, None]
    assert sequence() == "+3 → 3"
    assert [e.seq for e in AuditEvent.objects.order_by("id")] == [1, 2, 3]
    checkpoint = checkpoints.latest()
    assert checkpoint.size == 3
    origin, size, root, blank = signednote.verify(checkpoint.note).split("\n")
    assert (origin, size, blank) == (settings.SIGNED_NOTE_KEY_NAME, "3", "")
    assert base64.b64decode(root) == _mth(_all_leaves())
    files = list(Path(settings.AUDIT_CHECKPOINT_DIR).glob("*.checkpoint"))
    assert [f.read_text() for f in files] == [checkpoint.note]
    assert sequence() == "+0 → 3" and AuditCheckpoint.objects.count() == 1  # no growth, no note
    _events(1)
    sequence()
    assert AuditCheckpoint.objects.count() == 2
    assert events[0].pk < events[1].pk < events[2].pk
    _verify()


def test_an_event_cannot_be_edited_or_deleted_through_the_model(db):
    event = _events(1)[0]
    event.action = "tests.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action="x")


def test_the_beat_runs_the_sequencer_every_few_seconds(db):
    entry = settings.CELERY_BEAT_SCHEDULE["audit-sequence"]
    assert entry["args"][0] == "audit.tasks.sequence"
    assert entry["schedule"].total_seconds() <= 10
    procfile = (ROOT / "Procfile.embedded").read_text()
    assert "celery -A config beat" in procfile  # `make run` runs beat, hence the sequencer


# --- Proofs ---------------------------------------------------------------------------------


def test_an_inclusion_proof_from_the_page_verifies_standalone_and_with_the_rfc(
    client, participant, tmp_path
):
    mine = [record(action="tests.about.me", subject=participant, data={"i": i}) for i in range(5)]
    _events(6)
    sequence()
    client.force_login(participant)
    page = client.get("/audit/mine/")
    assert page.status_code == 200
    assert f'href="/audit/proof/{mine[2].pk}/"' in page.content.decode()
    doc = client.get(f"/audit/proof/{mine[2].pk}/?format=json").json()
    assert set(doc) == {
        "event",
        "leaf_index",
        "tree_size",
        "leaf",
        "leaf_hash",
        "path",
        "root",
        "checkpoint",
    }
    leaves = _all_leaves()
    assert base64.b64decode(doc["leaf"]) == leaves[doc["leaf_index"]]
    assert doc["leaf_hash"] == _h(b"\x00" + base64.b64decode(doc["leaf"])).hex()
    assert doc["path"] == [p.hex() for p in _path(doc["leaf_index"], leaves)]
    assert doc["root"] == _mth(leaves).hex()
    (tmp_path / "proof.json").write_text(json.dumps(doc))
    key = checkpoints.verifier_keys()[0]["verifier_key"]
    ok = subprocess.run(
        [sys.executable, VERIFIER, "proof", tmp_path / "proof.json", "--key", key],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stdout
    assert f"is in the signed tree of {AuditTree.objects.get().size}" in ok.stdout
    doc["path"][0] = "00" * 32
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    bad = subprocess.run(
        [sys.executable, VERIFIER, "proof", tmp_path / "bad.json", "--key", key],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "INVALID" in bad.stdout
    # Someone else's event: no proof for them.
    other = _events(1)[0]
    assert client.get(f"/audit/proof/{other.pk}/?format=json").status_code == 404


def test_the_proof_page_checks_itself_with_a_static_script(client, participant):
    event = record(action="tests.about.me", subject=participant, data={})
    sequence()
    client.force_login(participant)
    html = client.get(f"/audit/proof/{event.pk}/").content.decode()
    assert 'src="/static/js/audit-proof.js"' in html
    assert "<script>" not in html and 'id="proof-check"' in html


def test_a_consistency_proof_from_the_page_verifies_standalone_and_with_the_rfc(
    db, client, tmp_path
):
    _events(6)
    sequence()
    old = checkpoints.latest().note
    _events(7, start=10)
    sequence()
    new = checkpoints.latest().note
    doc = client.get("/audit/consistency/?from=6&to=13").json()
    assert set(doc) == {"from", "to", "path"} and (doc["from"], doc["to"]) == (6, 13)
    assert doc["path"] == [p.hex() for p in _subproof(6, _all_leaves(), True)]
    for name, text in (("c.json", json.dumps(doc)), ("old", old), ("new", new)):
        (tmp_path / name).write_text(text)
    key = checkpoints.verifier_keys()[0]["verifier_key"]
    run = subprocess.run(
        [sys.executable, VERIFIER, "consistency", *(tmp_path / n for n in ("c.json", "old", "new"))]
        + ["--key", key],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and "extends the signed tree of 6" in run.stdout, run.stdout
    assert client.get("/audit/consistency/?from=9&to=99").status_code == 400


def test_the_checkpoints_json_lists_checkpoints_and_verifier_keys(db, client):
    _events(2)
    sequence()
    data = client.get("/audit/checkpoints/?format=json").json()
    [c] = data["checkpoints"]
    assert c["size"] == 2 and c["checkpoint"] == checkpoints.latest().note
    key = data["verifier_keys"][0]["verifier_key"]
    name, key_id, _ = key.split("+", 2)
    assert name == settings.SIGNED_NOTE_KEY_NAME and len(key_id) == 8
    assert client.get("/audit/checkpoints/").status_code == 200


def test_the_data_download_carries_each_event_with_its_proof(participant):
    from portal.selectors import my_data

    record(action="tests.about.me", subject=participant, data={})
    sequence()
    data = my_data(participant)
    [event] = [e for e in data["audit_events_about_me"] if e["action"] == "tests.about.me"]
    assert event["proof"]["tree_size"] >= 1 and event["proof"]["checkpoint"]


# --- What audit_verify names ----------------------------------------------------------------


def test_audit_verify_passes_an_intact_log_held_against_its_checkpoints(db, capsys):
    _events(5)
    sequence()
    _events(2)  # written, not yet sealed
    _verify()
    out = capsys.readouterr().out
    assert "Audit log intact: 7 events verified" in out
    assert "holds against 2 signed checkpoint(s)" in out  # the file and the database's


def test_an_altered_event_is_named(db):
    events = _events(6)
    sequence()
    sql("UPDATE audit_auditevent SET data_json = %s WHERE id = %s", ['{"i":99}', events[3].pk])
    _fails(rf"at event #{events[3].pk}: altered: event #{events[3].pk} was altered")


def test_an_event_removed_from_the_middle_is_named(db):
    events = _events(6)
    sequence()
    sql("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    _fails(r"removed: the event at position 3 is missing")


def _cut_back(to: int):
    """Delete the sealed events after `to`, their nodes and checkpoints, and set the tree
    back: everything the database holds agrees on the shorter log."""
    from audit.tree import StoredTree

    root = StoredTree().root(to).hex()
    sql("DELETE FROM audit_auditevent WHERE seq > %s", [to])
    for level in range(48):  # every node not wholly inside the first `to` leaves
        sql(
            "DELETE FROM audit_auditnode WHERE key >= %s AND key < %s",
            [node_key(level, to >> level), node_key(level + 1, 0)],
        )
    sql("DELETE FROM audit_auditcheckpoint WHERE size > %s", [to])
    sql("UPDATE audit_audittree SET size = %s, root = %s", [to, root])


def test_truncation_behind_a_checkpoint_is_named_cut_back(db):
    _events(4)
    sequence()
    _events(2, start=10)
    sequence()  # the checkpoint of 6, in the directory
    _cut_back(4)
    message = _fails(
        r"cut back: the log holds 4 sealed events, but the checkpoint file .* signed 6"
    )
    print(f"\nFIGURE audit: a log cut back behind its checkpoint: {message}")
    with pytest.raises(Exception, match="cut back"):
        sequence()  # and the sequencer signs nothing over it


def test_a_log_rolled_back_and_grown_again_is_named_against_a_kept_checkpoint(db, tmp_path):
    _events(6)
    sequence()
    kept = tmp_path / "kept.checkpoint"
    kept.write_text(checkpoints.latest().note)  # a tester's copy
    _cut_back(3)
    for f in Path(settings.AUDIT_CHECKPOINT_DIR).glob("*.checkpoint"):
        f.unlink()  # the operator's directory is rewritten too
    sql("DELETE FROM audit_auditcheckpoint")
    _events(5, start=100)
    sequence()
    _verify()  # everything the operator holds agrees with itself…
    _fails(  # …but not with the copy kept elsewhere
        r"rolled back and rewritten: the log's first 6 events are not the ones the checkpoint "
        r"given #1 signed",
        "--checkpoint",
        str(kept),
    )


def test_an_empty_checkpoint_directory_fails_when_checkpoints_were_made(db):
    _events(3)
    sequence()
    for f in Path(settings.AUDIT_CHECKPOINT_DIR).glob("*.checkpoint"):
        f.unlink()
    _fails(r"the checkpoint directory .* is missing or empty, but the database records 1 signed")


def test_a_changed_ledger_amount_is_named_with_its_event(participation_with_entry):
    entry, event = participation_with_entry
    sql("UPDATE compensation_ledgerentry SET amount = 20000 WHERE id = %s", [entry.pk])
    _fails(rf"ledger entry {entry.pk}: amount differs from its event #{event.pk}")


def test_a_ledger_entry_with_no_event_is_named(participation_with_entry):
    entry, _ = participation_with_entry
    forged = entry.__class__.objects.create(  # written with no event, as raw SQL would be
        participation=entry.participation,
        programme=entry.programme,
        kind=entry.kind,
        amount=5000,
        currency="EUR",
        source_type="manual",
        description="Forged",
        earned_on=entry.earned_on,
        idempotency_key="forged",
    )
    _fails(rf"ledger entry {forged.pk} has no audit event binding it")


@pytest.fixture
def participation_with_entry(participant, programme):
    from compensation.models import LedgerEntry
    from compensation.services.ledger import _accrue
    from participants.models import Participation

    participation = Participation.objects.get(user=participant, programme=programme)
    entry, _ = _accrue(
        participation=participation,
        kind=LedgerEntry.Kind.GRANT,
        amount=2000,
        currency="EUR",
        source_type="manual",
        source_id="",
        description="A grant",
        earned_on=participation.joined_at.date(),
        idempotency_key="grant:1",
    )
    sequence()
    _verify()
    return entry, AuditEvent.objects.get(object_type="compensation.ledgerentry", object_id=entry.pk)


def test_a_receipt_proves_a_deletion(client, participant, tmp_path):
    event = record(action="tests.about.me", actor=participant, subject=participant, data={})
    client.force_login(participant)
    response = client.get(f"/audit/receipt/{event.pk}/")
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(response.content)
    _verify("--receipt", str(receipt))
    sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])  # before it was sealed
    sequence()
    _verify()  # the log alone cannot tell…
    _fails(rf"deleted: event #{event.pk} has a signed receipt", "--receipt", str(receipt))
    forged = json.loads(receipt.read_text())
    forged["receipt"] = forged["receipt"].replace("event ", "event 9")
    receipt.write_text(json.dumps(forged))
    _fails("the receipt does not verify", "--receipt", str(receipt))


def test_a_write_through_a_page_hands_back_a_receipt(client, participant, programme):
    client.force_login(participant)
    response = client.post(
        f"/portal/programmes/{programme.slug}/withdraw/", {"reason": "done"}, follow=True
    )
    event = AuditEvent.objects.filter(actor=participant).order_by("-id").first()
    assert event.action.startswith("participants.participation")
    first = response.redirect_chain[0]
    assert first[1] == 302
    shown = response.content.decode()
    assert f"Recorded in the audit log as event #{event.pk}" in shown
    assert f"/audit/receipt/{event.pk}/" in shown
    kept = client.get(f"/audit/receipt/{event.pk}/").json()
    assert kept["event"] == event.pk and kept["leaf_hash"] == _h(b"\x00" + event.leaf()).hex()
    assert receipts.read(json.dumps(kept)) == (event.pk, kept["leaf_hash"])


# --- Loud failure ---------------------------------------------------------------------------


def test_an_event_altered_before_it_is_sealed_is_never_sealed_or_signed(db, client):
    _events(3)
    sequence()
    late = _events(1)[0]
    sql("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [late.pk])
    with pytest.raises(Exception, match="keyed hash"):
        sequence()
    assert AuditTree.objects.get().size == 3 and AuditCheckpoint.objects.count() == 1
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["failing"] == ["audit"]
    detail = response.json()["checks"]["audit"]["detail"]
    assert f"the audit log does not verify: Not signing the audit log: event #{late.pk}" in detail


def test_the_periodic_verification_stops_the_sequencer_until_the_log_verifies(db, client):
    from audit.tasks import verify

    events = _events(3)
    sequence()
    assert verify().startswith("intact")
    sql("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [events[1].pk])
    with pytest.raises(Exception, match=f"altered: event #{events[1].pk}"):
        verify()
    _events(1)
    with pytest.raises(Exception, match="the last verification of the log failed"):
        sequence()
    assert AuditCheckpoint.objects.count() == 1
    assert client.get("/healthz").status_code == 503
    sql("UPDATE audit_auditevent SET action = %s WHERE id = %s", [events[1].action, events[1].pk])
    _verify()  # the operator's run after the repair clears it
    assert sequence() == "+1 → 4"
    assert client.get("/healthz").status_code == 200


def test_a_removed_stored_node_stops_the_sequencer(db):
    _events(4)
    sequence()
    _events(1)
    sql("DELETE FROM audit_auditnode WHERE key = %s", [node_key(2, 0)])
    with pytest.raises(Exception, match="lost nodes"):
        sequence()
    assert AuditNode.objects.count() == 6
