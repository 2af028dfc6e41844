"""The benchmark's exports: each measured in a fresh process (`--child`), for its own peak
memory and time."""

import json
import resource
import subprocess
import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from import_export import fields, resources

from compensation.models import LedgerEntry
from core.db import copy_out

from . import audit_writes, jobs
from .table import ROOT, Table, summary


class MeasureExports:
    """Mixin of the bench command: `measure_export()` and the child process's `run_child()`."""

    def measure_export(self, table: Table, n_ledger: int):
        """Finance's ledger CSV (the real view), django-import-export and COPY, each in a child."""
        sample = min(n_ledger, 50_000)
        ours, iex, ceiling = [], [], []
        for _ in range(self.runs):  # interleaved: ours and COPY see the same machine
            ours.append(self._child("export-ours"))
            ceiling.append(self._child("export-copy"))
            iex.append(self._child("export-iex", sample))

        def med(runs, key):
            return summary([r[key] for r in runs])

        rate, first, peak = med(ours, "rows_per_s"), med(ours, "first_row_s"), med(ours, "peak_mb")
        growth = med(ours, "growth_mb")
        iex_rate, iex_peak = med(iex, "rows_per_s"), med(iex, "peak_mb")
        copy_rate = med(ceiling, "rows_per_s")
        rows = ours[0]["rows"]
        if rows != n_ledger:
            raise CommandError(f"the export wrote {rows} rows, not {n_ledger}")
        ratio = rate["median"] / iex_rate["median"]
        table.add(
            f"finance export of {rows:,} ledger lines (/finance/entries/ledger.csv, streamed): "
            "rows/s, peak memory (RSS of the exporting process), time to the first data row",
            f"{rate['median']:,.0f} rows/s ({rate['min']:,.0f}–{rate['max']:,.0f}); peak RSS "
            f"{peak['median']:.0f} MB (+{growth['median']:.0f} MB over the idle process); "
            f"first row {first['median']:.2f} s",
            peer=(
                f"django-import-export ModelResource.export() + CSV, timed on {sample:,} rows: "
                f"{iex_rate['median']:,.0f} rows/s, peak RSS {iex_peak['median']:.0f} MB; "
                f"ceiling `COPY (…) TO STDOUT`: {copy_rate['median']:,.0f} rows/s"
            ),
            ratio=(
                f"{ratio:.0f}× django-import-export; "
                f"{rate['median'] / copy_rate['median']:.0%} of COPY"
            ),
            target="≥ 90% of COPY of the same rows; first row ≤ 0.5 s; peak RSS ≤ 200 MB",
            ok=rate["median"] >= 0.9 * copy_rate["median"]
            and peak["median"] <= 200
            and first["median"] <= 0.5,
            raw={"ours": ours, "import_export": iex, "copy": ceiling},
        )

    def _child(self, what: str, rows: int = 0) -> dict:
        """Run one export in a fresh process, so its peak memory is its own."""
        out = subprocess.run(
            [sys.executable, "-m", "tools.bench", "--child", what, "--child-rows", str(rows)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if out.returncode != 0:
            raise CommandError(f"child {what} failed: {out.stderr[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def run_child(self, what: str, rows: int) -> dict:

        if what.startswith("jobs-audit-"):
            return audit_writes.run_child(what)
        if what.startswith("jobs-"):
            return jobs.run_child(self, what, rows)

        def rss_mb():
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        finance = get_user_model().objects.get(username="bench-finance")
        if what == "export-ours":
            client = Client()
            client.force_login(finance)
            client.get("/finance/")  # warm: imports, URL resolution, the connection
            idle = rss_mb()
            start = time.perf_counter()
            response = client.get("/finance/entries/ledger.csv")
            if response.status_code != 200:
                raise CommandError(f"export answered {response.status_code}")
            lines, first_row, size = 0, None, 0
            for chunk in response.streaming_content:
                lines += chunk.count(b"\n")
                size += len(chunk)
                if first_row is None and lines > 1:
                    first_row = time.perf_counter() - start
            elapsed = time.perf_counter() - start
            n = lines - 1  # the header
            return {
                "rows": n,
                "bytes": size,
                "seconds": elapsed,
                "rows_per_s": n / elapsed,
                "first_row_s": first_row or elapsed,
                "peak_mb": rss_mb(),
                "growth_mb": rss_mb() - idle,
            }
        if what == "export-iex":

            class LedgerResource(resources.ModelResource):
                """The same columns as finance's CSV, the way django-import-export is used."""

                programme = fields.Field(attribute="programme__name", column_name="programme")
                participant = fields.Field(
                    attribute="participation__user__email", column_name="participant"
                )
                terms = fields.Field(attribute="terms_version__number", column_name="terms")

                class Meta:
                    model = LedgerEntry
                    fields = (
                        "id",
                        "created_at",
                        "earned_on",
                        "programme",
                        "participant",
                        "kind",
                        "amount",
                        "currency",
                        "state",
                        "description",
                        "source_type",
                        "source_id",
                        "terms",
                        "reverses",
                        "batch",
                        "paid_reference",
                        "paid_at",
                    )

            qs = (
                LedgerEntry.objects.restrict(finance)
                .select_related("programme", "participation__user", "terms_version")
                .order_by("created_at", "pk")[:rows]
            )
            idle = rss_mb()
            start = time.perf_counter()
            data = LedgerResource().export(queryset=qs).csv
            elapsed = time.perf_counter() - start
            n = data.count("\n") - 1
            return {
                "rows": n,
                "seconds": elapsed,
                "rows_per_s": n / elapsed,
                "peak_mb": rss_mb(),
                "growth_mb": rss_mb() - idle,
            }
        if what == "export-copy":
            sql = (
                "COPY (SELECT e.id, e.created_at, e.earned_on, p.name, u.email, e.kind, e.amount, "
                "e.currency, e.state, e.description, e.source_type || ':' || e.source_id, "
                "t.number, e.reverses_id, e.batch_id, e.paid_reference, e.paid_at "
                "FROM compensation_ledgerentry e "
                "JOIN programs_programme p ON p.id = e.programme_id "
                "JOIN participants_participation pa ON pa.id = e.participation_id "
                "JOIN auth_user u ON u.id = pa.user_id "
                "LEFT JOIN programs_termsversion t ON t.id = e.terms_version_id "
                "ORDER BY e.created_at, e.id) TO STDOUT WITH (FORMAT csv, HEADER)"
            )
            idle = rss_mb()
            start = time.perf_counter()
            lines = 0
            # The same fast reader as the export (core.db.copy_out): the ceiling is the database.
            with connection.cursor() as cursor:
                for chunk in copy_out(cursor, sql):
                    lines += chunk.count(b"\n")
            elapsed = time.perf_counter() - start
            return {
                "rows": lines - 1,
                "seconds": elapsed,
                "rows_per_s": (lines - 1) / elapsed,
                "peak_mb": rss_mb(),
                "growth_mb": rss_mb() - idle,
            }
        raise CommandError(f"unknown child {what}")
