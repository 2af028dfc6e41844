"""On PostgreSQL, with real connections: no audited write waits on another, and the
sequencer seals what they wrote into one tree."""

import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit import scan
from audit.keys import chain_keys
from audit.models import AuditEvent
from audit.services import Entry, record, record_many
from audit.tasks import sequence
from tests.audit.tamper import sql as tamper

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_long_job_transaction_does_not_block_another_programmes_audited_write(
    programme, other_programme
):
    """A job (an accrual's events, say) holds its transaction open; a person's write in
    another programme, in another connection, commits at once."""
    job_wrote, release, job_done = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def job():
        try:
            with transaction.atomic():
                record_many(
                    [
                        Entry("tests.job.accrued", "", str(i), programme.pk, None, {"i": i})
                        for i in range(500)
                    ]
                )
                job_wrote.set()
                release.wait(20)
        except DatabaseError as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            job_done.set()
            connection.close()

    thread = threading.Thread(target=job)
    thread.start()
    assert job_wrote.wait(10)
    started = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
        record(action="tests.person.wrote", programme=other_programme, data={"by": "a person"})
    waited = time.monotonic() - started
    assert not job_done.is_set()  # the job's transaction was still open all along
    print(f"\nFIGURE audit: a person's write while a job holds its transaction: {waited:.3f} s")
    assert waited < 1.0
    sequence()  # the job's uncommitted events are not sealed, the person's is
    sealed = AuditEvent.objects.filter(seq__isnull=False)
    assert sealed.filter(action="tests.person.wrote").count() == 1
    assert sealed.count() == AuditEvent.objects.count()  # the job's are not even visible
    release.set()
    thread.join()
    assert errors == []
    sequence()
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    call_command("audit_verify")


def test_concurrent_writers_are_sealed_into_one_tree_that_verifies():
    errors = []

    def worker(n):
        try:
            for i in range(20):
                with transaction.atomic():
                    record(action="tests.concurrent", data={"thread": n, "i": i})
        except DatabaseError as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sequence() == "+200 → 200"
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 201))
    call_command("audit_verify")


def test_postgres_refuses_changes_to_events_but_the_sequencer_may_set_their_position(db):
    event = record(action="tests.thing", data={})
    for sql in (
        f"UPDATE audit_auditevent SET action = 'x' WHERE id = {event.pk}",
        f"DELETE FROM audit_auditevent WHERE id = {event.pk}",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert sequence() == "+1 → 1"
    call_command("audit_verify")


def test_audit_verify_reads_the_same_hashes_in_the_database_as_in_python(programme, participant):
    """On PostgreSQL the keyed hashes and leaf hashes are computed by the database while it
    reads the log (pgcrypto): the same values as the Python path, and a tampered event is
    named by the command all the same."""
    events = [
        record(action="tests.thing.happened", programme=programme, subject=participant, data={})
        for _ in range(3)
    ] + [record(action="tests.text", data={"note": "ünïcode | pipes"})]
    sequence()
    record(action="tests.unsealed", data={"i": 1})  # written, not yet sealed
    keys = chain_keys()
    in_database = list(scan._in_postgresql(keys, 2))
    assert in_database == list(scan._in_python(keys, 2))
    assert all(row[4] for row in in_database) and in_database[-1][1] is None
    call_command("audit_verify")
    tamper("UPDATE audit_auditevent SET data_json = %s WHERE id = %s", ['{"i":9}', events[1].pk])
    with pytest.raises(CommandError, match=rf"altered: event #{events[1].pk} was altered"):
        call_command("audit_verify")
