"""Someone with write access to the database, but not the keys, cannot rewrite the audit log
unnoticed: keyed links catch forged and re-hashed events, signed checkpoints kept outside
the database catch a chain cut back or rolled back behind them."""

import hashlib
import hmac
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit import checkpoints, keys
from audit.models import AuditEvent, epoch_us, event_hash
from audit.selectors import verify_chain
from audit.services import record
from audit.tasks import write_checkpoint
from tests.conftest import summarise


def _events(n, start=0):
    for i in range(start, start + n):
        record(action="tests.thing.happened", data={"i": i})


def _sql(sql, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def _payload(e: AuditEvent, prev: str) -> str:
    return (
        f"{e.seq}|{prev}|{epoch_us(e.created_at)}|{e.actor_id or ''}|{e.action}|"
        f"{e.object_type}|{e.object_id}|{e.programme_id or ''}|{e.subject_id or ''}|{e.data_json}"
    )


def _attacker_rehash(from_seq: int, hasher) -> None:
    """What a person with database access does: re-hash every event from `from_seq` on with
    what they can compute, relink them and move the head to the new end."""
    prev = AuditEvent.objects.get(seq=from_seq - 1).hash if from_seq > 1 else "0" * 64
    for e in AuditEvent.objects.filter(seq__gte=from_seq).order_by("seq"):
        new = hasher(_payload(e, prev))
        _sql(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
            [prev, new, e.seq],
        )
        prev = new
    last = AuditEvent.objects.order_by("-seq").first()
    _sql("UPDATE audit_audithead SET seq = %s, hash = %s WHERE id = 1", [last.seq, prev])


def _sha256(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()


def _guessed_key(payload: str) -> str:
    return hmac.new(b"a key the attacker guessed, not ours", payload.encode(), "sha256").hexdigest()


def _verify_fails(match: str):
    with pytest.raises(CommandError, match=match) as info:
        call_command("audit_verify")
    return str(info.value)


@pytest.mark.parametrize("hasher", [_sha256, _guessed_key], ids=["sha256", "guessed key"])
def test_a_rewritten_and_rehashed_chain_fails_verification(db, hasher):
    _events(8)
    _sql("UPDATE audit_auditevent SET data_json = %s WHERE seq = 3", ['{"i":"rewritten"}'])
    _attacker_rehash(3, hasher)
    message = _verify_fails(r"broken at event #3: altered: event #3 was altered")
    summarise(faults=1)
    print(f"\nFIGURE audit: a rewritten, re-hashed chain ({hasher.__name__}): {message}")


def test_a_forged_approval_appended_with_the_head_moved_fails_verification(db):
    _events(5)
    last = AuditEvent.objects.order_by("-seq").first()
    forged_data = '{"amount":"5000.00","approval":1}'
    payload = (
        f"6|{last.hash}|{epoch_us(last.created_at) + 1}||compensation.entry.approved|"
        f"compensation.ledgerentry|1|||{forged_data}"
    )
    forged = _sha256(payload)
    _sql(
        "INSERT INTO audit_auditevent (seq, created_at, action, object_type, object_id, "
        "data_json, prev_hash, hash, key_id) VALUES (6, %s, 'compensation.entry.approved', "
        "'compensation.ledgerentry', '1', %s, %s, %s, 'dev')",
        [last.created_at, forged_data, last.hash, forged],
    )
    _sql("UPDATE audit_audithead SET seq = 6, hash = %s WHERE id = 1", [forged])
    _verify_fails(r"broken at event #6: altered: event #6 was altered")
    summarise(faults=1)


def test_events_deleted_from_the_end_with_the_head_moved_back_fail_against_a_checkpoint(db):
    _events(6)
    write_checkpoint()
    new = AuditEvent.objects.get(seq=4)
    _sql("DELETE FROM audit_auditevent WHERE seq > 4")
    _sql("UPDATE audit_audithead SET seq = 4, hash = %s WHERE id = 1", [new.hash])
    assert verify_chain().ok  # the chain alone holds together: only the checkpoint knows
    message = _verify_fails(r"cut back: the chain ends at #4, but the checkpoint .* covers #6")
    summarise(faults=1, lost=0)
    print(f"\nFIGURE audit: a chain cut back behind its checkpoint: {message}")


def test_a_chain_rolled_back_and_grown_again_fails_against_a_checkpoint(db):
    _events(6)
    write_checkpoint()
    keep = AuditEvent.objects.get(seq=3)
    _sql("DELETE FROM audit_auditevent WHERE seq > 3")
    _sql("UPDATE audit_audithead SET seq = 3, hash = %s WHERE id = 1", [keep.hash])
    _events(5, start=100)  # genuinely keyed events: the application carries on after a restore
    assert verify_chain().ok
    _verify_fails(r"at event #6: rolled back and rewritten: event #6 is not the event")


def test_a_correct_append_without_moving_the_head_is_named_added_not_removed(db):
    _events(4)
    head = (4, AuditEvent.objects.get(seq=4).hash)
    _events(2, start=10)
    _sql("UPDATE audit_audithead SET seq = %s, hash = %s WHERE id = 1", list(head))
    message = _verify_fails(r"added: events #5–#6 were appended without moving the head")
    assert "removed" not in message


def test_a_checkpoint_file_with_a_forged_signature_fails_verification(db):
    _events(3)
    checkpoint = write_checkpoint()
    assert checkpoint == "#3"
    folder = settings.AUDIT_CHECKPOINT_DIR
    (file,) = folder.glob("checkpoint-*.json")
    data = json.loads(file.read_text())
    data["seq"] = 2  # point the proof at an older head
    file.write_text(json.dumps(data))
    _verify_fails(r"checkpoints: the checkpoint of #2 .* has no valid signature")


def test_checkpoints_are_written_only_when_the_head_moved_and_never_over_a_tampered_chain(db):
    assert write_checkpoint() == "unchanged"  # an empty log has nothing to sign
    _events(2)
    assert write_checkpoint() == "#2"
    assert write_checkpoint() == "unchanged"
    _events(1)
    _sql("UPDATE audit_auditevent SET data_json = '{}' WHERE seq = 3")
    with pytest.raises(checkpoints.CheckpointError, match="event #3 does not verify"):
        write_checkpoint()
    assert len(list(settings.AUDIT_CHECKPOINT_DIR.glob("checkpoint-*.json"))) == 1


def test_beat_writes_a_checkpoint_every_few_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    # Through the once-per-interval lock every periodic task takes (core.tasks.run_periodic).
    assert entry["task"] == "core.tasks.run_periodic"
    assert entry["args"][0] == "audit.tasks.write_checkpoint"
    assert entry["schedule"].total_seconds() <= 10 * 60


def test_a_plain_audit_verify_reads_the_checkpoint_directory_and_says_so(db, capsys):
    _events(3)
    write_checkpoint()
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "3 events verified" in out and "holds against 1 signed checkpoint(s)" in out


def test_rotating_the_chain_key_keeps_older_events_verifiable(db, settings):
    _events(3)
    settings.AUDIT_HMAC_KEYS = ["k2:" + "n" * 40, *settings.AUDIT_HMAC_KEYS]
    _events(3, start=3)
    assert list(AuditEvent.objects.order_by("seq").values_list("key_id", flat=True)) == [
        "dev",
        "dev",
        "dev",
        "k2",
        "k2",
        "k2",
    ]
    call_command("audit_verify")
    # Dropping the old key from the list is a mistake audit_verify reports, never hides.
    settings.AUDIT_HMAC_KEYS = ["k2:" + "n" * 40]
    _verify_fails(r"broken at event #1: altered")


def test_rotating_the_signing_key_keeps_older_checkpoints_verifiable(db, settings):
    _events(2)
    write_checkpoint()
    new_private, new_public = keys.new_signing_key("s2")
    old_public = f"dev:{keys.public_text(keys.signing_key()[1].public_key())}"
    settings.AUDIT_SIGNING_KEY = new_private
    settings.AUDIT_VERIFY_KEYS = [old_public]
    _events(2, start=2)
    write_checkpoint()
    files = sorted(settings.AUDIT_CHECKPOINT_DIR.glob("checkpoint-*.json"))
    assert [json.loads(f.read_text())["key_id"] for f in files] == ["dev", "s2"]
    call_command("audit_verify")
    settings.AUDIT_VERIFY_KEYS = []  # the retired public key forgotten: the old proof is void
    _verify_fails(r"the checkpoint of #2 .* no valid signature \(key “dev”\)")


def test_the_public_page_and_every_participants_data_download_carry_the_latest_checkpoint(
    client, participant
):
    import io
    import zipfile

    _events(2)
    write_checkpoint()
    page = client.get("/audit/checkpoints/")
    assert page.status_code == 200
    head_hash = AuditEvent.objects.order_by("-seq").first().hash
    assert head_hash in page.content.decode()
    public = keys.public_text(keys.signing_key()[1].public_key())
    assert public in page.content.decode()
    client.force_login(participant)
    from django.urls import reverse

    response = client.get(reverse("portal:my_data") + "?download=1")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    proof = json.loads(archive.read("data.json"))["audit_checkpoint"]
    assert (
        proof["checkpoint"]["seq"] >= 2 and proof["public_keys"][0]["ed25519_public_key"] == public
    )
    signed = checkpoints.Checkpoint(
        **{k: v for k, v in proof["checkpoint"].items() if k != "format"}
    )
    assert signed.signed_ok


def test_event_hashes_are_keyed_with_the_chain_key_not_a_plain_hash(db):
    _events(1)
    e = AuditEvent.objects.get()
    assert e.hash != _sha256(_payload(e, e.prev_hash))
    key_id, key = keys.current_chain_key()
    assert e.key_id == key_id
    assert e.hash == event_hash(
        key=key,
        seq=1,
        prev_hash=e.prev_hash,
        created_us=epoch_us(e.created_at),
        actor_id=None,
        action=e.action,
        object_type="",
        object_id="",
        programme_id=None,
        subject_id=None,
        data_json=e.data_json,
    )
