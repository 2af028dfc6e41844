"""The scheduled work and the data rows of `make bench` (issue 22): the deadline sweep, the
hourly accruals, the my-data download, the transparency refresh and `audit_verify`, each
beside its peer measured in the same run.

Each function takes the bench command (`cmd`: `.runs`, `.scale`, `.largest`, `.person_id`,
`.stdout`, `._child`) and the table. What a measurement changes it changes inside a
transaction that is rolled back, so `make bench ARGS="--reuse"` measures the same data again.
"""

import contextlib
import io
import os
import random
import resource
import statistics
import tempfile
import time
import zipfile
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from approvals.models import OutputSubmission
from approvals.services import deadlines_sweep
from audit import scan, sequencer
from audit.keys import chain_keys
from audit.models import AuditEvent
from audit.selectors import inclusion_proof, verify_log
from audit.services import Entry, record_many
from compensation.services import accrue_hourly
from programs.models import TransparencySnapshot
from transparency import figures as transparency

from .table import pct, timed_requests


def _summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _span(s: dict, fmt: str = "{:.2f}", unit: str = " s") -> str:
    return f"{fmt.format(s['median'])}{unit} ({fmt.format(s['min'])}–{fmt.format(s['max'])})"


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def rolled_back():
    """A transaction that is always rolled back: the measurement leaves the data as it was."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def _sql(query: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.rowcount, (cursor.fetchall() if cursor.description else None)


def _timed_in_savepoint(query: str, params=()) -> tuple[float, int]:
    """One statement, timed, then undone (a savepoint inside the measurement's transaction)."""
    sid = transaction.savepoint()
    start = time.perf_counter()
    rows, _ = _sql(query, params)
    elapsed = time.perf_counter() - start
    transaction.savepoint_rollback(sid)
    return elapsed, rows


# --- The deadline sweep ------------------------------------------------------------------------

OPEN = ("pending", "in_review", "appealed")


def _make_due(now, n_due: int) -> int:
    """Exactly `n_due` open items past their deadline (the lowest ids among those that may be
    deemed approved), every other open item due in five days (nothing to remind)."""
    _sql(
        "UPDATE approvals_outputsubmission SET due_at = %s, clock_at = %s, reminded_at = NULL, "
        "escalated_at = NULL WHERE status = ANY(%s)",
        [now + timedelta(days=5), now + timedelta(days=5), list(OPEN)],
    )
    rows, _ = _sql(
        "UPDATE approvals_outputsubmission SET due_at = %s, clock_at = %s WHERE id IN ("
        "SELECT id FROM approvals_outputsubmission WHERE status IN ('pending', 'in_review') "
        "ORDER BY id LIMIT %s)",
        [now - timedelta(hours=1), now - timedelta(hours=1), n_due],
    )
    return rows


def measure_deadline_sweep(cmd, table):
    """`deadlines_sweep` deeming 10 % of all submissions approved (decision, audit event,
    notification and webhook event each), against one indexed UPDATE of the same rows."""
    total = OutputSubmission.objects.count()
    n_due = total // 10
    ours, peer, verified = [], [], None
    for run in range(cmd.runs):
        with rolled_back():
            now = timezone.now()
            due = _make_due(now, n_due)
            _sql("ANALYZE approvals_outputsubmission")
            elapsed, rows = _timed_in_savepoint(
                "UPDATE approvals_outputsubmission SET status = 'deemed_approved', "
                "decided_at = %s WHERE status IN ('pending', 'in_review') AND due_at <= %s",
                [now, now],
            )
            if rows != due:
                raise CommandError(f"the peer UPDATE changed {rows} rows, not {due}")
            peer.append(elapsed)
            start = time.perf_counter()
            deemed = 0
            while True:  # the beat runs it again while something is left
                counts = deadlines_sweep(now=now)
                deemed += counts["deemed_approved"]
                if not counts["deemed_approved"]:
                    break
            ours.append(time.perf_counter() - start)
            if deemed != due:
                raise CommandError(f"the sweep deemed {deemed} items approved, not {due}")
            again = deadlines_sweep(now=now)
            if any(again.values()):
                raise CommandError(f"a second sweep still did something: {again}")
            if run == 0:
                result = verify_log(records=False)
                if not result.ok:
                    raise CommandError(f"the audit log fails after the sweep: {result.problem}")
                verified = result.checked
    o, p = _summary(ours), _summary(peer)
    ratio = o["median"] / p["median"]
    table.add(
        f"deadline sweep: {due:,} of {total:,} submissions past due, deemed approved (decision, "
        "audit event, notification, webhook event each), then a second sweep that finds nothing",
        f"{_span(o)}; {due / o['median']:,.0f} items/s; the chain verifies after it "
        f"({verified:,} events)",
        peer=f"one indexed `UPDATE … SET status = 'deemed_approved'` of the same rows: {_span(p)}",
        ratio=f"{ratio:.1f}× the UPDATE",
        target="≤ 10× the UPDATE",
        ok=ratio <= 10,
        raw={"ours_s": o, "update_s": p, "due": due, "submissions": total},
    )


# --- Hourly accruals --------------------------------------------------------------------------

# The same rows the accrual writes, computed by PostgreSQL alone: the yardstick.
_PEER_ACCRUAL = """
INSERT INTO compensation_ledgerentry (kind, amount, currency, source_type, source_id,
    description, earned_on, idempotency_key, created_at, state, paid_reference,
    participation_id, programme_id, terms_version_id)
SELECT 'hourly', round(te.minutes * t.hourly_rate / 60, 2), t.currency, 'feedback.timeentry',
    te.id::text, round(te.minutes / 60.0, 2) || ' h on ' || te.date || ' at ' || t.hourly_rate
    || ' ' || t.currency || '/h (terms v' || t.number || ')', te.date,
    'hourly:timeentry:' || te.id, now(), 'accrued', '', te.participation_id, te.programme_id,
    t.id
FROM feedback_timeentry te JOIN programs_termsversion t ON t.id = te.terms_version_id
WHERE te.status = 'confirmed' AND t.pay_model = 'hourly'
ON CONFLICT (idempotency_key) DO NOTHING
"""


def _confirm_all(cmd) -> int:
    """Every time entry confirmed and none accrued yet (the bench's ledger pays other work)."""
    _sql(
        "UPDATE feedback_timeentry SET status = 'confirmed', reviewed_at = coalesce("
        "reviewed_at, now()), reviewed_by_id = coalesce(reviewed_by_id, %s) "
        "WHERE status <> 'confirmed'",
        [cmd.reviewer.pk],
    )
    _sql("ANALYZE feedback_timeentry")
    _, ((n,),) = _sql("SELECT count(*) FROM feedback_timeentry WHERE status = 'confirmed'")
    return n


def measure_accruals(cmd, table):
    """`accrue_hourly` over every confirmed time entry, and again with nothing new."""

    firsts, reruns, peers = [], [], []
    for _ in range(cmd.runs):
        with rolled_back():
            n = _confirm_all(cmd)
            elapsed, rows = _timed_in_savepoint(_PEER_ACCRUAL)
            peers.append(elapsed)
            start = time.perf_counter()
            created = accrue_hourly().count
            firsts.append(time.perf_counter() - start)
            if created != rows:
                raise CommandError(f"the accrual wrote {created} entries, the INSERT {rows}")
            start = time.perf_counter()
            again = accrue_hourly().count
            reruns.append(time.perf_counter() - start)
            if again:
                raise CommandError(f"the rerun accrued {again} entries again")
    f, r, p = _summary(firsts), _summary(reruns), _summary(peers)
    ratio = f["median"] / p["median"]
    table.add(
        f"hourly accruals over {n:,} confirmed time entries (ledger entry and audit event "
        "each), then the rerun with nothing new",
        f"first {_span(f)}, {rows / f['median']:,.0f} entries/s; rerun {_span(r)}",
        peer=f"`INSERT … SELECT … ON CONFLICT DO NOTHING` of the same {rows:,} entries: {_span(p)}",
        ratio=f"{ratio:.1f}× the INSERT",
        target="first ≤ 3× the INSERT; rerun ≤ 1 s",
        ok=ratio <= 3 and r["median"] <= 1,
        raw={"first_s": f, "rerun_s": r, "insert_s": p, "entries": rows},
    )


# --- My data -----------------------------------------------------------------------------------


def measure_my_data(cmd, table):
    """The portal participant's archive, downloaded in a fresh process (its own peak RSS)."""
    runs = [cmd._child("jobs-my-data") for _ in range(cmd.runs)]

    def med(key):
        return _summary([r[key] for r in runs])

    first, total, peak, growth = (
        med("first_byte_s"),
        med("seconds"),
        med("peak_mb"),
        med("growth_mb"),
    )
    r = runs[0]
    table.add(
        f"my-data download (/portal/my-data/?download=1) of a participant with "
        f"{r['records']:,} records: first byte, whole archive, peak RSS of the process",
        f"first byte {_span(first)}; whole {_span(total)} ({r['bytes'] / 1e6:.1f} MB ZIP, "
        f"{'streamed' if r['streamed'] else 'not streamed'}); peak RSS "
        f"{peak['median']:.0f} MB (+{growth['median']:.0f} MB over the idle process, "
        f"{r['idle_mb']:.0f} MB)",
        target="first byte ≤ 1 s, streamed, ≤ 100 MB over the idle process",
        ok=first["median"] <= 1 and r["streamed"] and growth["median"] <= 100,
        raw={"runs": runs},
    )


def run_child(cmd, what: str, rows: int) -> dict:
    """One measurement in a fresh process (`python -m tools.bench --child jobs-…`)."""

    def rss_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    if what != "jobs-my-data":
        raise CommandError(f"unknown child {what}")
    client = Client()
    client.force_login(get_user_model().objects.get(pk=1_000_000))
    client.get("/portal/my-data/")  # warm: imports, URL resolution, the connection
    idle = rss_mb()
    start = time.perf_counter()
    response = client.get("/portal/my-data/?download=1")
    if response.status_code != 200:
        raise CommandError(f"my data answered {response.status_code}")
    streamed = response.streaming
    first, size = None, 0
    with tempfile.TemporaryFile() as out:
        chunks = response.streaming_content if streamed else [response.content]
        for chunk in chunks:
            if first is None:
                first = time.perf_counter() - start
            size += len(chunk)
            out.write(chunk)
        elapsed = time.perf_counter() - start
        peak = rss_mb()
        out.seek(0)
        with zipfile.ZipFile(out) as archive:
            if archive.testzip() is not None:
                raise CommandError("the archive is corrupt")
            records = 0
            for name in archive.namelist():
                if name.endswith(".csv"):
                    with archive.open(name) as f:
                        records += sum(1 for _ in io.TextIOWrapper(f, encoding="utf-8")) - 1
    return {
        "records": records,
        "bytes": size,
        "streamed": streamed,
        "first_byte_s": first or elapsed,
        "seconds": elapsed,
        "peak_mb": peak,
        "idle_mb": idle,
        "growth_mb": peak - idle,
        "pid": os.getpid(),
    }


# --- Transparency --------------------------------------------------------------------------


def measure_transparency(cmd, table):

    colds = []
    for _ in range(cmd.runs):
        with rolled_back():
            TransparencySnapshot.objects.filter(programme=cmd.largest).delete()
            start = time.perf_counter()
            transparency.refresh(cmd.largest)
            colds.append(time.perf_counter() - start)
    client = Client()
    url = f"/programmes/{cmd.largest.slug}/"
    p95s, queries = [], 0
    for _ in range(cmd.runs):
        times, queries = timed_requests(client, url, cmd.n)
        p95s.append(pct(times, 0.95))
    cold, cached = _summary(colds), _summary(p95s)
    table.add(
        "transparency page of the largest programme: cold refresh (compute) / cached p95, queries",
        f"cold {_span(cold)}; cached p95 {_span(cached, '{:.1f}', ' ms')}; {queries} queries",
        target="cold ≤ 2 s; cached p95 ≤ 50 ms",
        ok=cached["median"] <= 50 and cold["median"] <= 2,
        raw={"cold_s": cold, "cached_p95_ms": cached, "queries": queries},
    )


# --- audit_verify ------------------------------------------------------------------------------


def measure_audit_verify(cmd, table):
    """`audit_verify` (every keyed hash, the tree against every checkpoint, the bound records)
    against a bare scan computing the same keyed hashes over the same rows."""
    values, params = scan.keys_sql(chain_keys())
    crypto = connection.ops.quote_name(scan.pgcrypto_schema() or "public")
    # The hashes `audit_verify` computes of each event: its keyed hash and its leaf hash.
    bare = (
        f"SELECT count(*) FILTER (WHERE pg_catalog.encode({crypto}.hmac(pg_catalog.convert_to("
        f"{scan.PAYLOAD}, 'UTF8'), k.secret, 'sha256'), 'hex') <> e.hash), count(*) FILTER "
        "(WHERE pg_catalog.sha256('\\x00'::bytea || pg_catalog.convert_to("
        f"{scan.LEAF}, 'UTF8')) = ''::bytea) FROM audit_auditevent e "
        f"JOIN (VALUES {values}) AS k(id, secret) ON k.id = e.key_id"
    )
    ours, peer, checked, records = [], [], 0, 0
    for _ in range(cmd.runs):  # interleaved, so a burst of load elsewhere hits both alike
        start = time.perf_counter()
        result = verify_log()
        ours.append(time.perf_counter() - start)
        if not result.ok:
            raise CommandError(f"audit log broken: {result.problem}")
        checked, records = result.checked, result.records
        start = time.perf_counter()
        with transaction.atomic():
            _, ((bad, _),) = _sql(bare, params)
        peer.append(time.perf_counter() - start)
        if bad:
            raise CommandError(f"the bare scan found {bad} events whose hash does not fit")
    o, p = _summary(ours), _summary(peer)
    ratio = o["median"] / p["median"]
    table.add(
        f"`audit_verify` over {checked:,} events (every keyed hash, the Merkle tree against "
        f"every checkpoint) and {records:,} bound records",
        f"{_span(o)}, {checked / o['median']:,.0f} events/s",
        peer="a bare SQL scan recomputing the same keyed hashes and leaf hashes (pgcrypto "
        f"HMAC-SHA256, SHA-256): "
        f"{_span(p)}, {checked / p['median']:,.0f} events/s",
        ratio=f"{ratio:.2f}× the scan",
        target="≤ 2× the scan",
        ok=ratio <= 2,
        raw={"ours_s": o, "scan_s": p, "events": checked, "records": records},
    )


def measure_sequencer(cmd, table):
    """The sequencer integrating a backlog of committed events (leaf hashes, stored nodes,
    positions), against inserting the same events."""
    n = max(2000, min(100_000, AuditEvent.objects.count() // 10))
    entries = [Entry("bench.sequencer.event", "", str(i), None, None, {"i": i}) for i in range(n)]
    ours, peer = [], []
    for _ in range(cmd.runs):
        with rolled_back():
            start = time.perf_counter()
            record_many(entries)
            peer.append(time.perf_counter() - start)
            start = time.perf_counter()
            integrated = sequencer.integrate_pending()
            ours.append(time.perf_counter() - start)
            if integrated != n:
                raise CommandError(f"the sequencer integrated {integrated} events, not {n}")
    o, p = _summary(ours), _summary(peer)
    rate = n / o["median"]
    table.add(
        f"the sequencer integrating {n:,} committed events into the Merkle tree",
        f"{_span(o)}, {rate:,.0f} events/s",
        peer=f"writing the same events (`record_many`): {_span(p)}, {n / p['median']:,.0f}/s",
        ratio=f"{o['median'] / p['median']:.2f}× the writes",
        target="≥ 20,000 events/s",
        ok=rate >= 20_000,
        raw={"ours_s": o, "writes_s": p, "events": n},
    )


def measure_inclusion_proof(cmd, table):
    """An inclusion proof of a random sealed event, from the stored nodes."""
    ids = list(
        AuditEvent.objects.filter(seq__isnull=False)
        .order_by("?")
        .values_list("pk", flat=True)[:200]
    )
    if not ids:
        return
    times = []
    for pk in ids * max(1, cmd.runs):
        event = AuditEvent.objects.get(pk=pk)
        start = time.perf_counter()
        doc = inclusion_proof(event)
        times.append((time.perf_counter() - start) * 1000)
        if doc is None:
            raise CommandError(f"event #{pk} has no proof")
    random.shuffle(times)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    size = doc["tree_size"]
    table.add(
        f"an inclusion proof at {size:,} events (stored node hashes, one query)",
        f"median {statistics.median(times):.2f} ms, p99 {p99:.2f} ms",
        target="≤ 10 ms",
        ok=p99 <= 10,
        raw={"p99_ms": p99, "median_ms": statistics.median(times), "tree_size": size},
    )


def measure_all(cmd, table):
    """Every row of this file, in the order of the table."""
    for measure in (
        measure_transparency,
        measure_audit_verify,
        measure_sequencer,
        measure_inclusion_proof,
        measure_deadline_sweep,
        measure_accruals,
        measure_my_data,
    ):
        measure(cmd, table)
        cmd.stdout.write(f"  measured: {table.rows[-1]['what'][:60]}…")
