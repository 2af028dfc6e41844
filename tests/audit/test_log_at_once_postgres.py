"""On PostgreSQL `audit_verify` and the sequencer let the database do the hashing: the
sequencer reads each waiting event's keyed-hash check and leaf hash from one query, and
`audit_verify` sums the whole log up in a few statements (`scan.summary`), walking it event by
event only when the summary does not verify. These tests hold both against the Python they
stand in for, on the edge values of the text the hashes cover, and every way of tampering
that `audit_verify` names (test_log, run here again on PostgreSQL) against the summary."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection

from audit import scan, selectors, sequencer
from audit.models import AuditEvent, node_key
from audit.services import record
from audit.tasks import sequence
from tests.audit.tamper import sql
from tests.audit.test_log import (  # noqa: F401 - the same cases, collected here on PostgreSQL
    test_a_log_rolled_back_and_grown_again_is_named_against_a_kept_checkpoint,
    test_a_removed_stored_node_stops_the_sequencer,
    test_an_altered_event_is_named,
    test_an_event_altered_before_it_is_sealed_is_never_sealed_or_signed,
    test_an_event_removed_from_the_middle_is_named,
    test_audit_verify_passes_an_intact_log_held_against_its_checkpoints,
    test_truncation_behind_a_checkpoint_is_named_cut_back,
)

pytestmark = [pytest.mark.postgres]

EDGES = [
    datetime(2026, 3, 1, 12, 0, 0, 0, tzinfo=UTC),  # no microseconds
    datetime(2026, 3, 1, 12, 0, 0, 120, tzinfo=UTC),  # microseconds ending in 0
    datetime(2026, 3, 1, 12, 0, 0, 999999, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),  # before the epoch
]


def _edge_events(monkeypatch, programme, participant):
    events = []
    for i, moment in enumerate(EDGES):
        monkeypatch.setattr("audit.services.timezone.now", lambda moment=moment: moment)
        events.append(
            record(
                action="tests.edge",
                programme=programme if i % 2 else None,
                subject=participant if i % 2 == 0 else None,
                actor=participant if i == 1 else None,
                data={"amount": -1250, "note": 'Ünïcödé | 日本語 \\ "quoted"', "i": i},
            )
        )
    return events


def _at_once():
    found, problem = selectors.anchors()
    assert problem == ""
    result = selectors.VerifyResult(True, 0)
    return selectors._at_once(result, found, {}), result


@pytest.mark.django_db
def test_the_sequencer_reads_the_same_checks_and_leaves_from_the_database(
    monkeypatch, programme, participant
):
    _edge_events(monkeypatch, programme, participant)
    in_database = sequencer._pending_in_postgresql(100)
    assert len(in_database) >= len(EDGES) and all(fits for _, fits, _ in in_database)
    assert in_database == sequencer._pending_in_python(100)
    sequence()
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0


@pytest.mark.django_db
def test_the_summary_verifies_the_log_the_walk_verifies_with_the_same_counts(
    monkeypatch, programme, participant
):
    _edge_events(monkeypatch, programme, participant)
    monkeypatch.undo()
    for i in range(9):  # trees of 4, then 13: odd sizes, several checkpoints
        record(action="tests.more", data={"i": i})
        if i in (0, 5):
            sequence()
    record(action="tests.unsealed", data={})
    clean, fast = _at_once()
    assert clean
    walked = selectors.VerifyResult(True, 0)
    found, _ = selectors.anchors()
    marks = {}
    for a in found:
        marks.setdefault(a.size, []).append(a)
    compact, problem = selectors._walk(walked, marks, {})
    assert problem == "" and selectors._against_tree(compact, found) == ""
    assert (fast.checked, fast.held_against) == (walked.checked, walked.held_against)
    assert selectors.verify_log().ok


TAMPERINGS = {
    "an event's data": "UPDATE audit_auditevent SET data_json = '{\"i\":99}' WHERE seq = 3",
    "an unsealed event's action": "UPDATE audit_auditevent SET action = 'x' WHERE seq IS NULL",
    "an event removed": "DELETE FROM audit_auditevent WHERE seq = 2",
    "two positions swapped": "UPDATE audit_auditevent SET seq = -seq WHERE seq IN (2, 3); "
    "UPDATE audit_auditevent SET seq = 5 + seq WHERE seq IN (-2, -3)",
    "a stored leaf": "UPDATE audit_auditnode SET hash = sha256('x') WHERE key = 4",
    "a stored node of the edge": f"UPDATE audit_auditnode SET hash = sha256('x') "
    f"WHERE key = {node_key(2, 0)}",
    "the tree's root": "UPDATE audit_audittree SET root = repeat('0', 64)",
    "the tree's size": "UPDATE audit_audittree SET size = size - 1",
    "a signed checkpoint's tree": "UPDATE audit_auditnode SET hash = sha256('x') "
    f"WHERE key IN (0, {node_key(1, 0)}, {node_key(2, 0)})",
}


@pytest.mark.django_db
@pytest.mark.parametrize("what", TAMPERINGS)
def test_the_summary_does_not_verify_a_tampered_log_and_the_walk_names_it(what):
    for i in range(5):
        record(action="tests.thing", data={"i": i})
    sequence()
    record(action="tests.unsealed", data={})
    assert _at_once()[0]
    sql(TAMPERINGS[what])
    assert not _at_once()[0]
    result = selectors.verify_log()
    assert not result.ok and result.problem


@pytest.mark.django_db
def test_the_summary_holds_the_old_chain_to_its_links():
    """Events of the hash chain that came before the tree (format 1) link to the one before."""
    for i in range(3):
        record(action="tests.thing", data={"i": i})
    sequence()
    assert _at_once()[0]
    sql("UPDATE audit_auditevent SET prev_hash = repeat('a', 64) WHERE seq = 2")
    assert not _at_once()[0]
    second = AuditEvent.objects.get(seq=2)
    assert scan.summary(3).linked == [(second.pk, "a" * 64, second.hash)]


@pytest.mark.django_db
def test_the_append_only_trigger_compares_every_column_but_the_position():
    """The sequencer's UPDATE of `seq` calls no trigger function; the trigger's WHEN clause
    must name every other column of the table, or a change to it would pass."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = "
            "'audit_auditevent'::regclass AND tgname = 'audit_auditevent_append_only'"
        )
        (definition,) = cursor.fetchone()
        columns = [
            c.name
            for c in connection.introspection.get_table_description(cursor, "audit_auditevent")
        ]
    for column in columns:
        named = re.search(rf"\bold\.{column}\b", definition) is not None
        assert named == (column != "seq"), column
