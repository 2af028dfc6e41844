"""The payout batch benchmark (issue 22): a batch of 100,000 payees built ≤ 3× a plain
`INSERT … SELECT` of the same line rows.

Each payee of the bench data (up to 100,000 at scale 1) gets one approved entry in a currency
no other entry uses (CHF), written with COPY. Each run, inside a transaction that is rolled
back (so the entries stay approved and reusable):

1. `services.batch_create(…, background=True)` claims the entries (one UPDATE);
2. `services.batch_build` writes the lines (`write_lines`: one INSERT … SELECT per 10,000
   payees, committed with the progress) and the CSV and XLSX files; the lines are timed
   apart from the files;
3. the peer: one plain `INSERT … SELECT` of the same line rows (sum, count, name, email,
   reference, payout details) into a second batch row, with no progress and no chunks.

The row compared is the lines (what the database writes); the whole build with its files is
printed beside it.
"""

import statistics
import tempfile
import time
from datetime import timedelta

from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from compensation import services
from compensation.models import LedgerEntry, PayoutBatch, PayoutLine
from compensation.services.batches import _lines_sql
from programs.models import Programme

CURRENCY = "CHF"
FULL = 100_000


class _Rollback(Exception):
    """Raised to roll a run back, so the next run finds the same approved entries."""


def _generate(cmd, n: int) -> list:
    """One approved CHF entry for each of the first `n` participations; returns the programmes."""

    if LedgerEntry.objects.filter(currency=CURRENCY, source_type="bench.payout").exists():
        ids = LedgerEntry.objects.filter(currency=CURRENCY, source_type="bench.payout")
        return list(Programme.objects.filter(pk__in=ids.values("programme_id")))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, programme_id FROM participants_participation ORDER BY id LIMIT %s", [n]
        )
        people = cursor.fetchall()
    today = timezone.localdate()
    now = timezone.now().isoformat()
    finance = cmd.finance.pk

    def rows():
        for k, (pid, programme_id) in enumerate(people):
            cents = 1_000 + (k * 7919) % 90_000
            yield (
                "prize",
                f"{cents // 100}.{cents % 100:02d}",
                CURRENCY,
                "bench.payout",
                str(pid),
                "Bench payout prize",
                today.isoformat(),
                f"bench-payout-{pid}",
                now,
                "approved",
                now,
                "",
                None,
                finance,
                pid,
                programme_id,
                None,
                None,
            )

    cmd._copy(
        "compensation_ledgerentry",
        "kind, amount, currency, source_type, source_id, description, earned_on, "
        "idempotency_key, created_at, state, approved_at, paid_reference, paid_at, "
        "approved_by_id, participation_id, programme_id, terms_version_id, batch_id",
        rows(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE compensation_ledgerentry")
    return list(Programme.objects.filter(pk__in={p for _, p in people}))


def _plain_insert_select(batch_id: int, source_batch_id: int) -> int:
    """The peer: the same line rows in one plain statement."""

    sql = _lines_sql().replace("AND participation_id BETWEEN %s AND %s", "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [batch_id, CURRENCY, source_batch_id])
        return cursor.rowcount


def _one_run(cmd, programmes) -> dict:

    today = timezone.localdate()
    out = {}
    try:
        with transaction.atomic():
            start = time.perf_counter()
            batch = services.batch_create(
                actor=cmd.finance,
                programmes=programmes,
                currency=CURRENCY,
                period_start=today - timedelta(days=1),
                period_end=today,
                background=True,
            )
            out["claim_s"] = time.perf_counter() - start
            start = time.perf_counter()
            lines = services.write_lines(batch_id=batch.pk, currency=CURRENCY)
            out["lines_s"] = time.perf_counter() - start
            PayoutLine.objects.filter(batch=batch).delete()
            start = time.perf_counter()
            services.batch_build(batch_id=batch.pk)
            out["build_s"] = time.perf_counter() - start
            batch.refresh_from_db()
            if batch.status != PayoutBatch.Status.READY or batch.rows_total != lines:
                raise RuntimeError(f"batch {batch.pk} is {batch.status} with {batch.rows_total}")
            peer = PayoutBatch.objects.create(
                currency=CURRENCY,
                period_start=batch.period_start,
                period_end=batch.period_end,
                created_by=cmd.finance,
            )
            start = time.perf_counter()
            written = _plain_insert_select(peer.pk, batch.pk)
            out["peer_s"] = time.perf_counter() - start
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM ("
                    "SELECT participation_id, amount, entries_count, name, email, details_secret "
                    "FROM compensation_payoutline WHERE batch_id = %s EXCEPT "
                    "SELECT participation_id, amount, entries_count, name, email, details_secret "
                    "FROM compensation_payoutline WHERE batch_id = %s) d",
                    [batch.pk, peer.pk],
                )
                (differ,) = cursor.fetchone()
            if written != lines or differ:
                raise RuntimeError(f"the peer wrote {written} lines, {differ} differ from ours")
            out["lines"] = lines
            raise _Rollback
    except _Rollback:
        pass
    return out


def measure_payout_batch(cmd, table) -> None:
    """Build a payout batch of (up to) 100,000 payees and compare with INSERT … SELECT."""
    n = max(10, int(FULL * cmd.scale))
    programmes = _generate(cmd, n)
    with (
        tempfile.TemporaryDirectory(prefix="bench-payouts-") as media,
        override_settings(MEDIA_ROOT=media),
    ):
        _one_run(cmd, programmes)  # warm: plans, caches, imports
        runs = [_one_run(cmd, programmes) for _ in range(cmd.runs)]
    lines = runs[0]["lines"]

    def med(key):
        return statistics.median(r[key] for r in runs)

    ours, peer, build = med("lines_s"), med("peer_s"), med("build_s")
    ratio = ours / peer if peer else float("inf")
    cmd.stdout.write(
        f"  payout batch: {lines:,} lines in {ours:.2f} s ({lines / ours:,.0f} lines/s); "
        f"INSERT … SELECT {peer:.2f} s; ratio {ratio:.2f}×; whole build with CSV and XLSX "
        f"{build:.2f} s; claiming the entries {med('claim_s'):.2f} s"
    )
    claim = med("claim_s")
    whole = claim + build
    table.add(
        f"payout batch of {lines:,} payees: built from approved entries (claiming the entries, "
        "the lines in chunks of 10,000 with progress, the CSV and XLSX files)",
        f"whole {whole:.2f} s: claiming {claim:.2f} s, lines {ours:.2f} s "
        f"({lines / ours:,.0f} lines/s), files and the rest of the build {build - ours:.2f} s",
        peer=f"one plain `INSERT … SELECT` of the same rows: {peer:.2f} s "
        f"({lines / peer:,.0f} lines/s)",
        ratio=f"{whole / peer:.1f}× (the lines alone {ratio:.2f}×)",
        target="≤ 3× INSERT … SELECT",
        ok=whole / peer <= 3,
        raw={"runs": runs},
    )
