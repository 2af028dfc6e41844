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
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from . import jobs
from .payouts import measure_payout_batch
from .provenance_rows import measure_training_check

ROOT = Path(settings.BASE_DIR)


class Table:
    def __init__(self):
        self.rows = []

    def add(self, what, ours, peer="", ratio="", target="", ok=None, raw=None):
        self.rows.append(
            {
                "what": what,
                "ours": ours,
                "peer": peer,
                "ratio": ratio,
                "target": target,
                "meets_target": ok,
                "raw": raw or {},
            }
        )

    def markdown(self) -> str:
        lines = ["| what | ours | peer | ratio | target | met |", "|---|---|---|---|---|---|"]
        for r in self.rows:
            met = {True: "yes", False: "**no**", None: ""}[r["meets_target"]]
            cells = [r["what"], r["ours"], r["peer"], r["ratio"], r["target"], met]
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
        return "\n".join(lines)


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed_requests(client: Client, url: str, n: int) -> tuple[list[float], int]:
    """Server-side time of `n` GETs (in-process), and the queries of one more, untimed: the
    query log's own bookkeeping is not part of the page's time."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise CommandError(f"GET {url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return times, len(ctx.captured_queries)


class Command(BaseCommand):
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
        # Internal: one export measured in a fresh process (its own peak memory).
        parser.add_argument("--child", default="", help=argparse.SUPPRESS)
        parser.add_argument("--child-rows", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args, **opts):
        if opts["child"]:
            self.stdout.write(json.dumps(self.run_child(opts["child"], opts["child_rows"])))
            return
        if connection.vendor != "postgresql":
            raise CommandError(
                "The benchmark runs on PostgreSQL: set DATABASE_URL (make bench does)."
            )
        self.scale, self.runs, self.n = opts["scale"], max(1, opts["runs"]), opts["requests"]
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

    # --- data -----------------------------------------------------------------------------

    def n_of(self, full: int, minimum: int = 1) -> int:
        return max(minimum, int(full * self.scale))

    def _copy(self, table: str, columns: str, rows) -> int:
        """Stream `rows` (tuples) into `table` with COPY, 20,000 lines at a time.

        Values never contain tabs, newlines or backslashes (the generators make
        sure), so str() is the COPY text format; None is NULL.
        """
        n = 0
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as cp,
        ):
            lines = []
            for row in rows:
                lines.append("\t".join(["\\N" if v is None else str(v) for v in row]))
                if len(lines) >= 20_000:
                    cp.write("\n".join(lines) + "\n")
                    n += len(lines)
                    lines = []
            if lines:
                cp.write("\n".join(lines) + "\n")
                n += len(lines)
        return n

    def _setval(self, table: str):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )

    def _timed(self, label: str, fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        elapsed = time.perf_counter() - start
        self.generation_times[label] = round(elapsed, 1)
        self.stdout.write(f"  {label}: {elapsed:.1f}s", ending="\n")
        self.stdout.flush()
        return result

    def generate(self) -> dict:
        """Every record of the benchmark, streamed into COPY; consistent by construction."""
        from django.contrib.auth import get_user_model

        from approvals.models import ReasonCode
        from participants.models import Participation
        from programs.models import Programme, ProgrammeRole, TermsVersion
        from tests.factories import TermsFactory

        if Programme.objects.exists():
            raise CommandError("The bench database is not empty; make bench creates a fresh one.")
        self.generation_times = {}
        User = get_user_model()  # noqa: N806 - the model class
        n_programmes = self.n_of(20, 2)
        n_people = self.n_of(100_000, 20)
        n_events = self.n_of(1_000_000, 100)
        n_submissions = self.n_of(1_000_000, 100)
        n_ledger = self.n_of(1_000_000, 100)
        n_tickets = self.n_of(300_000, 30)
        n_hours = self.n_of(1_000_000, 100)
        # The participant of the portal figure: about 10,000 records at full scale.
        own = {
            "submissions": self.n_of(3_000, 3),
            "tickets": self.n_of(1_000, 1),
            "hours": self.n_of(3_000, 3),
            "ledger": self.n_of(3_000, 3),
        }
        now = timezone.now().replace(microsecond=0)
        self.now = now
        now_s = now.timestamp()

        def at(seconds_ago: float) -> str:
            return datetime.fromtimestamp(now_s - seconds_ago, UTC).isoformat()

        today = now.date()
        days = [(today - timedelta(days=d)).isoformat() for d in range(400)]

        password = make_password("demo-pass-2024")
        self.superuser = User.objects.create_superuser(
            "bench-admin", "bench-admin@example.com", "demo-pass-2024"
        )
        self.reviewer = User.objects.create_user(
            "bench-reviewer", "bench-reviewer@example.com", "demo-pass-2024"
        )
        self.finance = User.objects.create_user(
            "bench-finance", "bench-finance@example.com", "demo-pass-2024"
        )
        currencies = ["EUR", "USD", "GBP"]
        programmes = []
        for i in range(n_programmes):
            terms = TermsFactory(
                programme__slug=f"bench-{i:02d}",
                programme__name=f"Bench programme {i:02d}",
                programme__reference_hourly_rate="30.00",
                programme__currency=currencies[i % 3],
                currency=currencies[i % 3],
                effective_at=now - timedelta(days=400),
            )
            programmes.append(terms.programme)
            for role, user in (("reviewer", self.reviewer), ("finance", self.finance)):
                ProgrammeRole.objects.create(programme=terms.programme, user=user, role=role)
        terms_of = {
            t.programme_id: t for t in TermsVersion.objects.filter(programme__in=programmes)
        }
        reasons = {
            p.pk: [
                ReasonCode.objects.create(programme=p, code=code, label=label).pk
                for code, label in (
                    ("nda", "Reveals confidential material"),
                    ("quality", "Not representative of the product"),
                    ("rights", "Third-party rights unclear"),
                )
            ]
            for p in programmes
        }
        prog_pk = [p.pk for p in programmes]
        prog_currency = [p.currency for p in programmes]
        prog_terms = [terms_of[p.pk].pk for p in programmes]
        base = 1_000_000
        third = n_people // 3

        def prog_index(i: int) -> int:
            # The largest programme holds a third of everyone; the rest share the others.
            return 0 if i < third else 1 + i % (n_programmes - 1)

        person_prog = [prog_index(i) for i in range(n_people)]

        def person_of(k: int, own_n: int) -> int:
            """Record k's participant (index): the portal's person first, then scattered."""
            if k < own_n:
                return 0
            return (k * 2654435761 + 97) % n_people

        def users():
            joined = now.isoformat()
            for i in range(n_people):
                yield (
                    base + i,
                    password,
                    "f",
                    f"bench{i}@example.com",
                    "Bench",
                    f"Tester {i}",
                    f"bench{i}@example.com",
                    "f",
                    "t",
                    joined,
                )

        self._timed(
            "users",
            self._copy,
            "auth_user",
            "id, password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined",
            users(),
        )
        self._setval("auth_user")
        p_statuses = ["active"] * 17 + ["withdrawn", "paused", "removed"]
        self._timed(
            "participations",
            self._copy,
            "participants_participation",
            "id, user_id, programme_id, status, role, status_reason, joined_at, payout_reference",
            (
                (
                    base + i,
                    base + i,
                    prog_pk[person_prog[i]],
                    p_statuses[i % len(p_statuses)],
                    "tester",
                    "",
                    at(86400 * (1 + i % 300)),
                    f"PAY-{i}",
                )
                for i in range(n_people)
            ),
        )
        self._setval("participants_participation")
        hashes = [terms_of[pk].content_hash for pk in prog_pk]
        self._timed(
            "consents",
            self._copy,
            "participants_consent",
            "participation_id, terms_version_id, terms_hash, accepted_at",
            (
                (base + i, prog_terms[person_prog[i]], hashes[person_prog[i]], now.isoformat())
                for i in range(n_people)
            ),
        )
        g = SimpleNamespace(**locals())
        self._timed("submissions", self._gen_submissions, g)
        self._timed("tickets", self._gen_tickets, g)
        self._timed("time entries", self._gen_hours, g)
        self._timed("ledger", self._gen_ledger, g)
        self._timed("audit events", self._gen_audit, n_events, n_people, person_prog, prog_pk)
        with connection.cursor() as cursor:
            self._timed("vacuum analyze", cursor.execute, "VACUUM ANALYZE")
        self.programmes = programmes
        self.largest = programmes[0]
        self.person_id = base  # in the largest programme
        counts = {
            "programmes": n_programmes,
            "participants": n_people,
            "largest_programme_participants": Participation.objects.filter(
                programme=self.largest
            ).count(),
            "output_submissions": n_submissions,
            "review_decisions": self.decision_count,
            "ledger_entries": n_ledger,
            "tickets": n_tickets,
            "time_entries": n_hours,
            "audit_events": n_events,
            "portal_person_records": sum(own.values()),
        }
        return counts

    def existing(self) -> dict:
        """The people and counts of data an earlier run generated (`--reuse`)."""
        from approvals.models import OutputSubmission, ReviewDecision
        from audit.models import AuditEvent
        from compensation.models import LedgerEntry
        from feedback.models import Ticket
        from labour.models import TimeEntry
        from participants.models import Participation
        from programs.models import Programme

        User = get_user_model()
        self.programmes = list(Programme.objects.filter(slug__startswith="bench-").order_by("slug"))
        if not self.programmes:
            raise CommandError("--reuse needs a database made by an earlier `make bench`.")
        self.largest = self.programmes[0]
        self.superuser = User.objects.get(username="bench-admin")
        self.reviewer = User.objects.get(username="bench-reviewer")
        self.finance = User.objects.get(username="bench-finance")
        self.person_id = 1_000_000
        self.decision_count = ReviewDecision.objects.count()
        return {
            "programmes": len(self.programmes),
            "participants": Participation.objects.count(),
            "largest_programme_participants": Participation.objects.filter(
                programme=self.largest
            ).count(),
            "output_submissions": OutputSubmission.objects.count(),
            "review_decisions": self.decision_count,
            "ledger_entries": LedgerEntry.objects.count(),
            "tickets": Ticket.objects.count(),
            "time_entries": TimeEntry.objects.count(),
            "audit_events": AuditEvent.objects.count(),
        }

    def _gen_submissions(self, g):
        """Submissions with a realistic status mix, their decisions and appeals."""
        n, own = g.n_submissions, g.own["submissions"]
        person_of, person_prog, at = g.person_of, g.person_prog, g.at
        prog_pk, prog_terms, reasons = g.prog_pk, g.prog_terms, g.reasons
        base, reviewer = g.base, self.reviewer.pk
        # Per 1,000: 12.5% waiting for review, the rest decided or withdrawn.
        mix = (
            ["pending"] * 100
            + ["in_review"] * 20
            + ["appealed"] * 5
            + ["approved"] * 550
            + ["deemed_approved"] * 30
            + ["rejected"] * 120
            + ["changes_requested"] * 50
            + ["resubmitted"] * 40
            + ["withdrawn"] * 85
        )
        uses = ["social", "portfolio", "screening", "press", "other", "private"]
        open_ = {"pending", "in_review", "appealed"}
        state = {"decisions": 0}

        def status_of(k):
            return mix[(k * 7919) % 1000]

        def rows():
            for k in range(n):
                i = person_of(k, own)
                pi = person_prog[i]
                status = status_of(k)
                if status in open_:
                    # Open items arrived in the last 6 days; a 72 h clock makes about half overdue.
                    submitted = 518_400 * ((k * 104729) % 1000) / 1000
                    decided = None
                else:
                    submitted = 604_800 + 86_400 * ((k * 104729) % 170_000) / 1000
                    decided = submitted - 3_600 * (1 + (k * 31) % 100)
                due = submitted - 72 * 3600
                claimed = status == "in_review"
                yield (
                    k + 1,
                    1,
                    f"Output {k}",
                    "",
                    "",
                    "",
                    f"https://example.com/outputs/{k}",
                    f"{k:064x}",
                    uses[k % 6],
                    "",
                    status,
                    at(submitted),
                    at(due),
                    at(due),
                    at(decided) if decided is not None else None,
                    reviewer if claimed else None,
                    at(-1800) if claimed else None,
                    f"bench-verify-{k}" if status in ("approved", "deemed_approved") else None,
                    base + i,
                    prog_pk[pi],
                    prog_terms[pi],
                )

        columns = (
            "id, version, title, prompt, file, file_type, url, content_hash, intended_use, "
            "intended_venue, status, submitted_at, due_at, clock_at, decided_at, claimed_by_id, "
            "claim_expires_at, verify_token, participant_id, programme_id, terms_version_id"
        )
        self._copy("approvals_outputsubmission", columns, rows())
        self._setval("approvals_outputsubmission")
        outcome_of = {
            "approved": ("review", "approved"),
            "deemed_approved": ("automatic", "deemed_approved"),
            "rejected": ("review", "rejected"),
            "appealed": ("review", "rejected"),
            "changes_requested": ("review", "changes_requested"),
            "resubmitted": ("review", "changes_requested"),
        }

        def decision_rows():
            for k in range(n):
                status = status_of(k)
                if status not in outcome_of:
                    continue
                stage, outcome = outcome_of[status]
                i = person_of(k, own)
                pi = person_prog[i]
                if status == "appealed":
                    submitted = 518_400 * ((k * 104729) % 1000) / 1000
                    decided = submitted - 3_600
                else:
                    submitted = 604_800 + 86_400 * ((k * 104729) % 170_000) / 1000
                    decided = submitted - 3_600 * (1 + (k * 31) % 100)
                needs_reason = outcome in ("rejected", "changes_requested")
                state["decisions"] += 1
                yield (
                    stage,
                    outcome,
                    "" if not needs_reason else "Please see the reason.",
                    at(decided),
                    reasons[prog_pk[pi]][k % 3] if needs_reason else None,
                    None if stage == "automatic" else reviewer,
                    k + 1,
                )

        self._copy(
            "approvals_reviewdecision",
            "stage, outcome, note, decided_at, reason_id, reviewer_id, submission_id",
            decision_rows(),
        )
        self.decision_count = state["decisions"]
        self._copy(
            "approvals_appeal",
            "note, filed_at, submission_id",
            (
                ("I think this is fine to share.", at(600), k + 1)
                for k in range(n)
                if status_of(k) == "appealed"
            ),
        )

    def _gen_tickets(self, g):
        """Tickets of every kind and status; bugs and safety findings carry a severity."""
        n, own = g.n_tickets, g.own["tickets"]
        person_of, person_prog, at = g.person_of, g.person_prog, g.at
        prog_pk, prog_terms, base = g.prog_pk, g.prog_terms, g.base
        kinds = ["bug"] * 9 + ["feedback"] * 6 + ["feature_request"] * 3 + ["safety_finding"] * 2
        statuses = (
            ["new"] * 4
            + ["needs_info"]
            + ["triaged"] * 3
            + ["accepted"] * 4
            + ["not_reproducible"] * 2
            + ["wont_fix"] * 2
            + ["resolved"] * 4
        )
        severities = ["low", "medium", "high", "critical"]
        triaged = {"triaged", "accepted", "not_reproducible", "wont_fix", "resolved"}

        def rows():
            for k in range(n):
                i = person_of(k, own)
                pi = person_prog[i]
                kind = kinds[(k * 13) % 20]
                status = statuses[(k * 17) % 20]
                severity = severities[k % 4] if kind in ("bug", "safety_finding") else ""
                created = 86_400 * ((k * 7907) % 300_000) / 1000
                yield (
                    k + 1,
                    kind,
                    f"Ticket {k}",
                    "What happened, in a few words.",
                    "",
                    "",
                    "",
                    severity,
                    {"": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}[severity],
                    status,
                    at(created),
                    at(created / 2),
                    at(created - 3600) if status in triaged else None,
                    at(created - 7200) if status in ("accepted", "resolved") else None,
                    at(created / 2) if status == "resolved" else None,
                    at(created - 1800) if status == "needs_info" else None,
                    0,
                    prog_pk[pi],
                    base + i,
                    prog_terms[pi],
                )

        self._copy(
            "feedback_ticket",
            "id, kind, title, description, steps_to_reproduce, expected_result, actual_result, "
            "severity, severity_rank, status, created_at, updated_at, triaged_at, accepted_at, "
            "resolved_at, needs_info_since, needs_info_seconds, programme_id, reporter_id, "
            "terms_version_id",
            rows(),
        )
        self._setval("feedback_ticket")

    def _gen_hours(self, g):
        """Time entries over the last year: most confirmed, some waiting, a few disputed."""
        n, own = g.n_hours, g.own["hours"]
        person_of, person_prog, at, days = g.person_of, g.person_prog, g.at, g.days
        prog_pk, prog_terms, base = g.prog_pk, g.prog_terms, g.base
        statuses = ["confirmed"] * 14 + ["logged"] * 5 + ["disputed"]
        activities = ["testing", "writing_feedback", "red_teaming", "creative_work", "meetings"]
        reviewer = self.reviewer.pk

        def rows():
            for k in range(n):
                i = person_of(k, own)
                pi = person_prog[i]
                status = statuses[(k * 11) % 20]
                day = (k * 7) % 365
                created = at(86_400 * day)
                yield (
                    days[day],
                    30 + (k * 37) % 450,
                    activities[k % 5],
                    "",
                    status,
                    created if status != "logged" else None,
                    "Not on that day." if status == "disputed" else "",
                    "",
                    created,
                    created,
                    base + i,
                    prog_pk[pi],
                    reviewer if status != "logged" else None,
                    prog_terms[pi],
                    base + i,
                )

        self._copy(
            "feedback_timeentry",
            "date, minutes, activity, note, status, reviewed_at, dispute_reason, dispute_answer, "
            "created_at, updated_at, participation_id, programme_id, reviewed_by_id, "
            "terms_version_id, user_id",
            rows(),
        )

    def _gen_ledger(self, g):
        """Ledger entries of every kind and state; exported and paid ones sit in batches."""
        from compensation.models import PayoutBatch

        n, own = g.n_ledger, g.own["ledger"]
        person_of, person_prog, at, days = g.person_of, g.person_prog, g.at, g.days
        prog_pk, prog_terms, prog_currency = g.prog_pk, g.prog_terms, g.prog_currency
        kinds = ["hourly"] * 60 + ["stipend"] * 15 + ["bounty"] * 10 + ["prize"] * 5
        kinds += ["grant"] * 3 + ["adjustment"] * 7
        states = ["accrued"] * 20 + ["approved"] * 25 + ["exported"] * 15 + ["paid"] * 40
        finance, base = self.finance.pk, g.base
        batches = {}
        for pi, pk in enumerate(prog_pk):
            for currency in g.currencies:
                for status in ("ready", "paid"):
                    batch = PayoutBatch.objects.create(
                        currency=currency,
                        period_start=g.today - timedelta(days=365),
                        period_end=g.today,
                        status=status,
                        created_by=self.finance,
                        paid_reference="BANK-RUN" if status == "paid" else "",
                        paid_at=g.today if status == "paid" else None,
                    )
                    batch.programmes.set([pk])
                    batches[pi, currency, status] = batch.pk
        paid_on = g.today.isoformat()

        def rows():
            for k in range(n):
                i = person_of(k, own)
                pi = person_prog[i]
                kind = kinds[(k * 29) % 100]
                state = states[(k * 41) % 100]
                currency = prog_currency[pi] if k % 20 else "USD"
                cents_ = 500 + (k * 7919) % 20_000
                amount = f"{'-' if kind == 'adjustment' and k % 2 else ''}{cents_ // 100}."
                amount += f"{cents_ % 100:02d}"
                day = (k * 3) % 365
                created = at(86_400 * day)
                approved = state != "accrued"
                batch = (
                    batches[pi, currency, "paid" if state == "paid" else "ready"]
                    if state in ("exported", "paid")
                    else None
                )
                yield (
                    kind,
                    amount,
                    currency,
                    "feedback.timeentry" if kind == "hourly" else "manual",
                    f"bench-{k}",  # pays no real time entry: those are accrued by the bench
                    f"{kind.capitalize()} for work {k}",
                    days[day],
                    f"bench-{k}",
                    created,
                    state,
                    created if approved else None,
                    f"BANK-{k}" if state == "paid" else "",
                    paid_on if state == "paid" else None,
                    finance if approved else None,
                    base + i,
                    prog_pk[pi],
                    prog_terms[pi],
                    batch,
                )

        self._copy(
            "compensation_ledgerentry",
            "kind, amount, currency, source_type, source_id, description, earned_on, "
            "idempotency_key, created_at, state, approved_at, paid_reference, paid_at, "
            "approved_by_id, participation_id, programme_id, terms_version_id, batch_id",
            rows(),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE compensation_payoutbatch b SET entries_count = s.n, total = s.t "
                "FROM (SELECT batch_id, count(*) n, sum(amount) t FROM compensation_ledgerentry "
                "WHERE batch_id IS NOT NULL GROUP BY batch_id) s WHERE s.batch_id = b.id"
            )

    def _gen_audit(self, n_events, n_people, person_prog, prog_pk):
        """A valid hash chain of audit events, computed as the service would."""
        from audit.keys import current_chain_key
        from audit.models import GENESIS_HASH, canonical_data, epoch_us, event_hash

        key_id, key = current_chain_key()
        base = 1_000_000
        state = {}

        def events():
            prev = GENESIS_HASH
            start = datetime(2026, 1, 1, tzinfo=UTC)
            for seq in range(1, n_events + 1):
                created = start + timedelta(milliseconds=seq * 10)
                person = base + seq % n_people
                programme = prog_pk[person_prog[seq % n_people]]
                data = canonical_data({"n": seq, "what": "bench"})
                h = event_hash(
                    key=key,
                    seq=seq,
                    prev_hash=prev,
                    created_us=epoch_us(created),
                    actor_id=person,
                    action="bench.record.changed",
                    object_type="participants.participation",
                    object_id=str(person),
                    programme_id=programme,
                    subject_id=person,
                    data_json=data,
                )
                yield (
                    seq,
                    created.isoformat(),
                    person,
                    "bench.record.changed",
                    "participants.participation",
                    person,
                    programme,
                    person,
                    data,
                    prev,
                    h,
                    key_id,
                )
                prev = h
            state["last"] = prev

        self._copy(
            "audit_auditevent",
            "seq, created_at, actor_id, action, object_type, object_id, programme_id, "
            "subject_id, data_json, prev_hash, hash, key_id",
            events(),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_audithead (id, seq, hash) VALUES (1, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash",
                [n_events, state["last"]],
            )

    # --- measurements -------------------------------------------------------------------------

    def measure_pages(self, table: Table):
        """The signed-in trivial view (the floor), the review queue, the admin changelist and
        the portal, all requested in turn in one loop (so a burst of load elsewhere on the
        machine hits each alike), each as the person who uses it."""
        from django.contrib.auth import get_user_model

        from approvals.selectors import review_queue
        from core.pagination import _encode

        pk = self.largest.pk
        reviewer, admin, person = Client(), Client(), Client()
        reviewer.force_login(self.reviewer)
        admin.force_login(self.superuser)
        person.force_login(get_user_model().objects.get(pk=self.person_id))
        url = f"/review/?status=pending&programme={pk}"
        admin_url = (
            f"/admin/approvals/outputsubmission/?programme__id__exact={pk}&status__exact=pending"
        )
        pending = (
            review_queue(self.reviewer)
            .filter(programme=self.largest, status="pending")
            .order_by("clock_at", "pk")
        )
        # The cursor the UI would carry to item 10,000 (or the last page at small scales).
        n_pending = pending.count()
        depth = min(10_000, max(0, n_pending - 60))
        item = pending[depth - 1] if depth else None
        deep_url = url + (f"&after={_encode(item.clock_at.isoformat(), item.pk)}" if item else "")
        admin_deep = admin_url + f"&p={depth // 100 + 1}"
        self.queue_url = url
        pages = {
            "floor_staff": (reviewer, "/session/"),
            "queue": (reviewer, url),
            "queue_deep": (reviewer, deep_url),
            "admin": (admin, admin_url),
            "admin_deep": (admin, admin_deep),
            "floor_participant": (person, "/session/"),
            "portal": (person, "/portal/"),
        }
        results = {name: {"p50_ms": [], "p95_ms": []} for name in pages}
        queries = {}
        for name, (client, u) in pages.items():
            queries[name] = timed_requests(client, u, 3)[1]  # warm, and count queries once
        for _ in range(self.runs):
            times = {name: [] for name in pages}
            for _ in range(self.n):
                for name, (client, u) in pages.items():
                    start = time.perf_counter()
                    client.get(u)
                    times[name].append((time.perf_counter() - start) * 1000)
            for name, values in times.items():
                results[name]["p50_ms"].append(pct(values, 0.5))
                results[name]["p95_ms"].append(pct(values, 0.95))
        r = {
            name: {
                "p50_ms": summary(v["p50_ms"]),
                "p95_ms": summary(v["p95_ms"]),
                "queries": queries[name],
            }
            for name, v in results.items()
        }
        self.page_results = r

        def p50(name):
            return r[name]["p50_ms"]["median"]

        def cell(name):
            x = r[name]
            return (
                f"p50 {x['p50_ms']['median']:.1f} ms ({x['p50_ms']['min']:.1f}–"
                f"{x['p50_ms']['max']:.1f}), p95 {x['p95_ms']['median']:.1f} ms; "
                f"{x['queries']} queries"
            )

        table.add(
            "signed-in trivial view (`/session/`: the same middleware, session, user, roles, "
            "two-factor check; a few bytes), server time: as the reviewer / as the participant",
            f"{cell('floor_staff')} / {cell('floor_participant')}",
            target="measured: the floor of the rows below",
            raw={"staff": r["floor_staff"], "participant": r["floor_participant"]},
        )
        for name, admin_name, label, admin_target in (
            ("queue", "admin", f"first page (pending, largest programme: {n_pending:,} items)", 15),
            ("queue_deep", "admin_deep", f"{depth:,} items deep (keyset cursor)", 25),
        ):
            floor, vs_admin = p50(name) / p50("floor_staff"), p50(admin_name) / p50(name)
            table.add(
                f"review queue, {label}: server time, queries",
                cell(name),
                peer=f"Django admin changelist, same filter: {cell(admin_name)}",
                ratio=f"{floor:.1f}× the trivial view; {vs_admin:.1f}× faster than admin (p50)",
                target=f"p50 ≤ 5× the trivial view; ≥ {admin_target}× faster than admin",
                ok=floor <= 5 and vs_admin >= admin_target,
                raw={name: r[name], admin_name: r[admin_name]},
            )
        ratio = p50("portal") / p50("floor_participant")
        table.add(
            "participant portal home (a participant with 10,000 records): server time, queries",
            cell("portal"),
            peer=f"trivial view as the participant: p50 {p50('floor_participant'):.1f} ms",
            ratio=f"{ratio:.1f}× the trivial view",
            target="p50 ≤ 4× the trivial view, ≤ 10 queries",
            ok=ratio <= 4 and r["portal"]["queries"] <= 10,
            raw={"portal": r["portal"]},
        )
        reset_queries()

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
        import resource

        if what.startswith("jobs-"):
            return jobs.run_child(self, what, rows)

        from django.contrib.auth import get_user_model

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
            from import_export import fields, resources

            from compensation.models import LedgerEntry

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
            from core.db import copy_out

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

    def check_transparency(self, table: Table) -> int:
        """The largest programme's public figures against a direct SQL computation."""
        from transparency import figures as transparency

        figures = transparency.refresh(self.largest).figures
        pk = self.largest.pk

        def sql(query, params=()):
            with connection.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall()

        expected, actual = {}, {}
        for status, n in sql(
            "SELECT status, count(*) FROM participants_participation WHERE programme_id = %s "
            "GROUP BY status",
            [pk],
        ):
            expected[f"participants.{status}"] = n
        for key in ("active", "paused", "withdrawn", "removed"):
            expected.setdefault(f"participants.{key}", 0)
            actual[f"participants.{key}"] = figures["participants"][key]
        ((minutes,),) = sql(
            "SELECT coalesce(sum(minutes), 0) FROM feedback_timeentry "
            "WHERE programme_id = %s AND status = 'confirmed'",
            [pk],
        )
        expected["labour.confirmed_hours_total"] = round(minutes / 60, 1)
        actual["labour.confirmed_hours_total"] = figures["labour"]["confirmed_hours_total"]
        ((submitted, waiting),) = sql(
            "SELECT count(*), count(*) FILTER (WHERE status IN ('pending', 'in_review', "
            "'appealed')) FROM approvals_outputsubmission WHERE programme_id = %s",
            [pk],
        )
        expected["approvals.submitted"], expected["approvals.waiting"] = submitted, waiting
        for outcome, n in sql(
            "SELECT d.outcome, count(*) FROM approvals_reviewdecision d "
            "JOIN approvals_outputsubmission s ON s.id = d.submission_id "
            "WHERE s.programme_id = %s GROUP BY d.outcome",
            [pk],
        ):
            expected[f"approvals.{outcome}"] = n
        for key in (
            "submitted",
            "waiting",
            "approved",
            "deemed_approved",
            "rejected",
            "changes_requested",
        ):
            expected.setdefault(f"approvals.{key}", 0)
            actual[f"approvals.{key}"] = figures["approvals"][key]
        for kind, n in sql(
            "SELECT kind, count(*) FROM feedback_ticket WHERE programme_id = %s GROUP BY kind",
            [pk],
        ):
            expected[f"tickets.by_kind.{kind}"] = n
        for kind, n in figures["tickets"]["by_kind"].items():
            expected.setdefault(f"tickets.by_kind.{kind}", 0)
            actual[f"tickets.by_kind.{kind}"] = n
        for currency, paid, pending in sql(
            "SELECT currency, coalesce(sum(amount) FILTER (WHERE state = 'paid'), 0), "
            "coalesce(sum(amount) FILTER (WHERE state <> 'paid'), 0) "
            "FROM compensation_ledgerentry WHERE programme_id = %s GROUP BY currency",
            [pk],
        ):
            expected[f"pay.{currency}.paid"] = f"{paid:.2f}"
            expected[f"pay.{currency}.pending"] = f"{pending:.2f}"
        for currency, totals in figures["pay"]["by_currency"].items():
            actual[f"pay.{currency}.paid"] = totals["paid"]
            actual[f"pay.{currency}.pending"] = totals["pending"]
        keys = sorted(set(expected) | set(actual))
        differ = [
            (k, expected.get(k), actual.get(k)) for k in keys if expected.get(k) != actual.get(k)
        ]
        self.stdout.write(
            f"transparency figures match a direct computation: {len(keys)} figures checked, "
            f"{len(differ)} differ"
        )
        if differ:
            raise CommandError(f"transparency figures differ from SQL: {differ}")
        return len(keys)

    def measure_http(self, table: Table, seconds: int):
        """gunicorn as the README deploys it, wrk in another process: our pages vs a trivial one."""
        from django.contrib.auth import get_user_model
        from django.contrib.sessions.backends.db import SessionStore

        def session_for(user):
            session = SessionStore()
            session["_auth_user_id"] = str(user.pk)
            session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
            session["_auth_user_hash"] = user.get_session_auth_hash()
            session.create()
            return session.session_key

        participant = get_user_model().objects.get(pk=self.person_id)
        port = 8799
        db = settings.DATABASES["default"]
        env = {
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "DJANGO_ENV": "development",
            "DEBUG": "false",
            "PATH": "/usr/bin:/bin",
            # As in production: sessions and the cache in Redis (scripts/bench.sh starts it).
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"),
        }
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi",
                "-w",
                str(HTTP_WORKERS),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        staff_cookie, person_cookie = session_for(self.reviewer), session_for(participant)
        pages = (
            ("floor_participant", "/session/", person_cookie),
            ("portal", "/portal/", person_cookie),
            ("floor_staff", "/session/", staff_cookie),
            ("queue", self.queue_url, staff_cookie),
        )
        try:
            _wait_http(f"http://127.0.0.1:{port}/healthz")
            results = {name: [] for name, _, _ in pages}
            # Interleaved, so a burst of load from elsewhere on the machine hits all alike.
            for _ in range(self.runs):
                for name, path, cookie in pages:
                    results[name].append(_wrk(port, path, cookie, seconds))
            results = {
                name: {key: summary([r[key] for r in runs]) for key in ("rps", "p90_ms", "p99_ms")}
                for name, runs in results.items()
            }
        finally:
            server.terminate()
            server.wait(timeout=20)
        for name, floor_name, label in (
            ("portal", "floor_participant", "portal home"),
            ("queue", "floor_staff", "review queue first page"),
        ):
            ours, peer = results[name], results[floor_name]
            ratio = ours["rps"]["median"] / peer["rps"]["median"]
            table.add(
                f"HTTP load, {label} under gunicorn ({HTTP_WORKERS} workers, wrk 2 threads × 8 "
                f"connections, {seconds} s)",
                f"{ours['rps']['median']:,.0f} req/s ({ours['rps']['min']:,.0f}–"
                f"{ours['rps']['max']:,.0f}); latency p90 {ours['p90_ms']['median']:.1f} ms, "
                f"p99 {ours['p99_ms']['median']:.1f} ms",
                peer=f"signed-in trivial view (/session/, same person) "
                f"{peer['rps']['median']:,.0f} req/s, p99 {peer['p99_ms']['median']:.1f} ms",
                ratio=f"{ratio:.0%} of the trivial view",
                target="≥ 20% of the trivial view's req/s; p99 ≤ 100 ms",
                ok=ratio >= 0.2 and ours["p99_ms"]["median"] <= 100,
                raw={name: ours, floor_name: peer},
            )


# The worker count of the README's production command (`gunicorn config.wsgi -w 4`): while
# one worker waits on PostgreSQL or Redis another uses the core.
HTTP_WORKERS = 4


def _machine_speed() -> float:
    """The best of five runs of a fixed pure-Python loop, in ms: how fast this machine was
    during the run, so runs on other days (this machine's speed drifts) can be compared."""

    def loop():
        total = 0
        for i in range(3_000_000):
            total += i * i
        return total

    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        loop()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def _cores() -> int:
    return os.cpu_count() or 0


def _wait_http(url: str, timeout: float = 30):
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise CommandError(f"{url} did not answer within {timeout}s")


def _wrk(port: int, path: str, cookie: str | None, seconds: int) -> dict:
    cmd = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}{path}"]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: sessionid={cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    import re

    def latency(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        raise CommandError(f"{path} answered {non2xx.group(1)} errors under load")
    return {"rps": rps, "p90_ms": latency(90), "p99_ms": latency(99)}
