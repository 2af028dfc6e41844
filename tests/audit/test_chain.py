"""The audit log is append-only and hash-chained; audit_verify finds tampering."""

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from audit.models import AuditEvent
from audit.selectors import verify_chain
from audit.services import record
from core.db import AppendOnlyError


def _events(n, programme=None):
    for i in range(n):
        record(action="tests.thing.happened", programme=programme, data={"i": i, "note": "x"})


def test_events_link_into_a_chain_that_verifies(db, capsys):
    _events(5)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    call_command("audit_verify")
    assert "5 events verified" in capsys.readouterr().out


def test_an_event_cannot_be_edited_or_deleted_through_the_model(db):
    _events(1)
    event = AuditEvent.objects.get()
    event.action = "tests.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _bypass_trigger(sql, params=()):
    """Tamper as a database superuser would: with triggers switched off for the session."""
    if connection.vendor == "postgresql":
        _raw("SET session_replication_role = replica")
        _raw(sql, params)
        _raw("SET session_replication_role = DEFAULT")
    else:
        _raw(sql, params)


def test_audit_verify_names_the_first_altered_event(db):
    _events(6)
    _bypass_trigger("UPDATE audit_auditevent SET data_json = %s WHERE seq = 4", ['{"i":99}'])
    with pytest.raises(CommandError, match=r"broken at event #4: altered: event #4 was altered"):
        call_command("audit_verify")


def test_audit_verify_names_a_deleted_event(db):
    _events(6)
    _bypass_trigger("DELETE FROM audit_auditevent WHERE seq = 3")
    with pytest.raises(CommandError, match=r"removed: event #3 is missing"):
        call_command("audit_verify")


def test_audit_verify_notices_events_removed_from_the_end(db):
    _events(4)
    _bypass_trigger("DELETE FROM audit_auditevent WHERE seq = 4")
    with pytest.raises(CommandError, match=r"removed: .* the last 1 event\(s\) were removed"):
        call_command("audit_verify")


def test_audit_verify_notices_reordered_events(db):
    _events(5)
    # Swap the content of two events but keep their positions and hashes.
    _bypass_trigger("UPDATE audit_auditevent SET seq = -2 WHERE seq = 2")
    _bypass_trigger("UPDATE audit_auditevent SET seq = 2 WHERE seq = 3")
    _bypass_trigger("UPDATE audit_auditevent SET seq = 3 WHERE seq = -2")
    result = verify_chain()
    assert not result.ok and result.first_bad_seq == 2
    assert result.problem == "reordered: event #2 belongs at #3"


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_audit_events(db):
    _events(2)
    for sql in (
        "UPDATE audit_auditevent SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_auditevent WHERE seq = 2",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw(sql)
    assert verify_chain().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_on_postgres_keep_one_linear_chain():
    """10 threads × 20 appends, each in its own connection and transaction."""
    errors = []

    def worker(n):
        try:
            for i in range(20):
                with transaction.atomic():
                    record(action="tests.concurrent", data={"thread": n, "i": i})
        except (DatabaseError, IntegrityError) as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = verify_chain()
    print(f"\nFIGURE audit concurrent appends: 200 events by 10 writers, chain ok={result.ok}")
    assert result.ok and result.checked == 200
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 201))


_TAMPERING = {
    "intact": [],
    "altered data": ["UPDATE audit_auditevent SET data_json = '{\"i\":99}' WHERE seq = 7"],
    "altered time": [
        "UPDATE audit_auditevent SET created_at = created_at + interval '1 microsecond' "
        "WHERE seq = 5"
    ],
    "altered actor": ["UPDATE audit_auditevent SET actor_id = NULL WHERE seq = 2"],
    "deleted in the middle": ["DELETE FROM audit_auditevent WHERE seq = 3"],
    "deleted the first": ["DELETE FROM audit_auditevent WHERE seq = 1"],
    "deleted the last": ["DELETE FROM audit_auditevent WHERE seq = 10"],
    "relinked": ["UPDATE audit_auditevent SET prev_hash = repeat('0', 64) WHERE seq = 4"],
    "rehashed after an edit": [
        "UPDATE audit_auditevent SET action = 'x', hash = repeat('a', 64) WHERE seq = 6"
    ],
    "a hash in capitals": ["UPDATE audit_auditevent SET hash = upper(hash) WHERE seq = 5"],
    "a hash not in hex": ["UPDATE audit_auditevent SET hash = repeat('z', 64) WHERE seq = 10"],
    "an edit after a gap": [
        "DELETE FROM audit_auditevent WHERE seq = 8",
        "UPDATE audit_auditevent SET data_json = '{}' WHERE seq = 9",
    ],
    "a gap after an edit": [
        "UPDATE audit_auditevent SET data_json = '{}' WHERE seq = 2",
        "DELETE FROM audit_auditevent WHERE seq = 8",
    ],
    "swapped": [
        "UPDATE audit_auditevent SET seq = -2 WHERE seq = 2",
        "UPDATE audit_auditevent SET seq = 2 WHERE seq = 3",
        "UPDATE audit_auditevent SET seq = 3 WHERE seq = -2",
    ],
}


@pytest.mark.postgres
@pytest.mark.parametrize("case", list(_TAMPERING))
def test_postgres_verifies_in_the_database_with_the_answer_of_the_python_walk(db, case):
    """audit_verify hashes in PostgreSQL; the Python walk is the definition it must match."""
    from tests.factories import ProgrammeFactory, UserFactory

    alice, bob = UserFactory(email="alice@example.com"), UserFactory(email="bob@example.com")
    programme = ProgrammeFactory()
    for i in range(10):
        record(
            action=f"tests.step{i}",
            actor=alice if i % 2 else None,
            programme=programme if i % 3 else None,
            subject=bob if i % 4 else None,
            obj=programme if i % 5 == 0 else None,
            data={"i": i, "text": 'café ✓ | pipes and "quotes"', "when": "2026-11-22"},
        )
    for sql in _TAMPERING[case]:
        _bypass_trigger(sql)
    in_database = verify_chain(in_database=True)
    assert in_database == verify_chain(in_database=False)
    assert in_database.ok == (case == "intact")


# Links broken by someone holding the chain key: every event still carries a keyed hash that
# fits its content, so only the link check can tell (in PostgreSQL, the two sums of the scan).
_REKEYED = {
    "relinked to an earlier event and rekeyed": [(4, 2)],
    "two links exchanged and rekeyed": [(4, 6), (6, 4)],
}


@pytest.mark.postgres
@pytest.mark.parametrize("case", list(_REKEYED))
def test_postgres_finds_a_broken_link_between_events_with_valid_keyed_hashes(db, case):
    from tests.factories import ProgrammeFactory

    programme = ProgrammeFactory()
    for i in range(10):
        record(action=f"tests.step{i}", programme=programme, data={"i": i})
    hashes = dict(AuditEvent.objects.values_list("seq", "hash"))
    for seq, points_to in _REKEYED[case]:
        event = AuditEvent.objects.get(seq=seq)
        event.prev_hash = hashes[points_to - 1]
        _bypass_trigger(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
            [event.prev_hash, event.compute_hash(), seq],
        )
    assert all(e.compute_hash() == e.hash for e in AuditEvent.objects.all())
    in_database = verify_chain(in_database=True)
    assert not in_database.ok and "does not link" in in_database.problem
    assert in_database == verify_chain(in_database=False)
