"""The migration to the Merkle tree keeps every existing event verifiable: the old keyed
chain becomes the tree's first leaves, and the chain's old checkpoints still hold."""

import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.support.migrations import migrate_to, newest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("audit", "0005_keyed_chain")]


def test_the_old_chain_becomes_the_first_leaves_and_stays_verifiable(settings, tmp_path):
    from audit import checkpoints
    from audit.keys import current_chain_key, sign
    from audit.models import epoch_us, event_hash

    latest = newest("audit")
    old = migrate_to(BEFORE)
    Event, Head = old.get_model("audit", "AuditEvent"), old.get_model("audit", "AuditHead")
    key_id, key = current_chain_key()
    prev = "0" * 64
    for seq in range(1, 8):
        at = timezone.now()
        data = json.dumps({"n": seq})
        h = event_hash(
            key=key,
            seq=seq,
            prev_hash=prev,
            created_us=epoch_us(at),
            actor_id=None,
            action="tests.old.event",
            object_type="",
            object_id="",
            programme_id=None,
            subject_id=None,
            data_json=data,
        )
        Event.objects.create(
            seq=seq,
            created_at=at,
            action="tests.old.event",
            data_json=data,
            prev_hash=prev,
            hash=h,
            key_id=key_id,
        )
        prev = h
    Head.objects.create(pk=1, seq=7, hash=prev)
    # The chain's checkpoint of event 7, as the old code wrote it.
    stamp = timezone.now().isoformat()
    message = f"{checkpoints.LEGACY_FORMAT}\n7\n{prev}\n{stamp}\n{key_id}\n".encode()
    folder = settings.AUDIT_CHECKPOINT_DIR
    (folder / "checkpoint-000000000007.json").write_text(
        json.dumps(
            {
                "format": checkpoints.LEGACY_FORMAT,
                "seq": 7,
                "hash": prev,
                "at": stamp,
                "key_id": key_id,
                "signature": sign(message)[1],
            }
        )
    )
    migrate_to(latest)

    from audit.models import AuditEvent, AuditTree
    from audit.services import record
    from audit.tasks import sequence

    assert AuditTree.objects.get().size == 7
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 8)
    )
    record(action="tests.new.event", data={})
    assert sequence() == "+1 → 8"
    call_command("audit_verify")
    # An old event altered after the migration is named as before.
    from django.core.management.base import CommandError

    from tests.audit.tamper import sql

    sql("UPDATE audit_auditevent SET data_json = '{}' WHERE seq = 3")

    with pytest.raises(CommandError, match="altered: event #"):
        call_command("audit_verify")
