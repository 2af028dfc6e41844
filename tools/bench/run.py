"""`python -m tools.bench`: build a large programme on PostgreSQL and measure our pages.

Prints one table (ours, the peer people would otherwise use, the ratio, the
target) and writes the same to a JSON file. Each figure is the median of
`--runs` runs, with min and max. Data is generated with COPY; `--scale`
shrinks or grows every count (1.0 = 100,000 participants in 20 programmes,
1,000,000 audit events).

Run through `make bench` (scripts/bench.sh), which creates a fresh database.
"""

import argparse
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.db import is_postgresql

from . import audit_writes, docs, jobs
from .exports import MeasureExports
from .generate import GenerateData
from .http import MeasureHttp
from .pages import MeasurePages
from .payouts import measure_payout_batch
from .provenance_rows import measure_training_check
from .table import ROOT, Table, _cores, _machine_speed


class Command(GenerateData, MeasurePages, MeasureExports, MeasureHttp, BaseCommand):
    help = "Build a large programme on PostgreSQL and measure pages, exports and the audit check."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--requests", type=int, default=30, help="requests per run and page")
        parser.add_argument("--out", default=str(ROOT / "var" / "bench-results.json"))
        parser.add_argument("--load-seconds", type=int, default=10)
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="measure the data already in the database (made by an earlier run)",
        )
        parser.add_argument(
            "--write-docs",
            action="store_true",
            help="put the table in docs/benchmarks/index.md (full scale only); the run it "
            "replaces moves to docs/benchmarks/history.md",
        )
        # Internal: one export measured in a fresh process (its own peak memory).
        parser.add_argument("--child", default="", help=argparse.SUPPRESS)
        parser.add_argument("--child-rows", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args, **opts):
        if opts["child"]:
            self.stdout.write(json.dumps(self.run_child(opts["child"], opts["child_rows"])))
            return
        if not is_postgresql():
            raise CommandError(
                "The benchmark runs on PostgreSQL: set DATABASE_URL (make bench does)."
            )
        self.scale, self.runs, self.n = opts["scale"], max(1, opts["runs"]), opts["requests"]
        if opts["write_docs"] and self.scale != 1.0:
            raise CommandError("--write-docs records full-scale runs only (no --scale).")
        table = Table()
        started = time.perf_counter()
        if opts["reuse"]:
            counts = self.existing()
            self.generation_seconds, self.generation_times = None, {}
            self.stdout.write(f"Measuring the existing data: {counts}")
        else:
            self.stdout.write(f"Generating data at scale {self.scale} with COPY:")
            counts = self.generate()
            self.generation_seconds = round(time.perf_counter() - started, 1)
            self.stdout.write(f"Generated {counts} in {self.generation_seconds}s")
        checked = self.check_transparency(table)
        speed_before = _machine_speed()
        self.measure_pages(table)
        self.measure_export(table, counts["ledger_entries"])
        measure_payout_batch(self, table)
        measure_training_check(self, table)
        jobs.measure_all(self, table)
        audit_writes.measure_write_during_jobs(self, table)
        audit_writes.measure_parallel_writers(self, table)
        self.measure_http(table, opts["load_seconds"])
        speed = f"{speed_before:.0f} ms before, {_machine_speed():.0f} ms after"
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": (
                f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}"
            ),
            "machine_speed": speed,
            "scale": self.scale,
            "runs": self.runs,
            "counts": counts,
            "transparency_figures_checked": checked,
            "generation_seconds": self.generation_seconds,
            "generation_steps_seconds": self.generation_times,
            "rows": table.rows,
        }
        out = Path(opts["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1, default=str))
        self.stdout.write("")
        self.stdout.write(
            f"Benchmark {result['date']} on {result['machine']}, scale {self.scale}, "
            f"median of {self.runs} runs (min–max); the machine's speed, a fixed Python loop: "
            f"{speed} (lower is faster)"
        )
        self.stdout.write(table.markdown())
        self.stdout.write(f"\nResults written to {out}")
        if opts["write_docs"]:
            replaced = docs.write(result, table.markdown(), ROOT / "docs" / "benchmarks")
            moved = f"; the run of {replaced} moved to history.md" if replaced else ""
            self.stdout.write(f"Table written to docs/benchmarks/index.md{moved}")

    # --- data -----------------------------------------------------------------------------
