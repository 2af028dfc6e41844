"""`python manage.py bench`: build a large programme on PostgreSQL and measure our pages.

Prints one table (ours, the peer people would otherwise use, the ratio, the
target) and writes the same to a JSON file. Each figure is the median of
`--runs` runs, with min and max. Data is generated with COPY; `--scale`
shrinks or grows every count (1.0 = 100,000 participants in 20 programmes,
1,000,000 audit events).

Run through `make bench` (scripts/bench.sh), which creates a fresh database.
"""

import io
import json
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

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
    """Server-side time of `n` GETs (in-process), and the queries of the last one."""
    times = []
    queries = 0
    for i in range(n):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise CommandError(f"GET {url} answered {response.status_code}")
        if i == n - 1:
            queries = len(ctx.captured_queries)
    return times, queries


class Command(BaseCommand):
    help = "Build a large programme on PostgreSQL and measure pages, exports and the audit check."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--requests", type=int, default=30, help="requests per run and page")
        parser.add_argument("--out", default=str(ROOT / "var" / "bench-results.json"))
        parser.add_argument("--load-seconds", type=int, default=10)

    def handle(self, *args, **opts):
        if connection.vendor != "postgresql":
            raise CommandError(
                "The benchmark runs on PostgreSQL: set DATABASE_URL (make bench does)."
            )
        self.scale, self.runs, self.n = opts["scale"], max(1, opts["runs"]), opts["requests"]
        table = Table()
        started = time.perf_counter()
        counts = self.generate()
        self.stdout.write(f"Generated {counts} in {time.perf_counter() - started:.1f}s")
        self.measure_audit_verify(table, counts["audit_events"])
        self.measure_transparency(table)
        self.measure_portal(table)
        self.measure_http(table, opts["load_seconds"])
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": (
                f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}"
            ),
            "scale": self.scale,
            "runs": self.runs,
            "counts": counts,
            "rows": table.rows,
        }
        out = Path(opts["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1, default=str))
        self.stdout.write("")
        self.stdout.write(
            f"Benchmark {result['date']} on {result['machine']}, scale {self.scale}, "
            f"median of {self.runs} runs (min–max)"
        )
        self.stdout.write(table.markdown())
        self.stdout.write(f"\nResults written to {out}")

    # --- data -----------------------------------------------------------------------------

    def n_of(self, full: int, minimum: int = 1) -> int:
        return max(minimum, int(full * self.scale))

    def _copy(self, table: str, columns: str, rows):
        buf = io.StringIO()
        for row in rows:
            buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        buf.seek(0)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as cp,
        ):
            while chunk := buf.read(1 << 20):
                cp.write(chunk)

    def _setval(self, table: str):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )

    def generate(self) -> dict:
        from audit.models import GENESIS_HASH, canonical_data, epoch_us, event_hash
        from participants.models import Participation
        from programs.models import Programme, TermsVersion
        from tests.factories import TermsFactory

        if Programme.objects.exists():
            raise CommandError("The bench database is not empty; make bench creates a fresh one.")
        n_programmes = self.n_of(20, 2)
        n_people = self.n_of(100_000, 20)
        n_events = self.n_of(1_000_000, 100)
        now = timezone.now()
        programmes = []
        for i in range(n_programmes):
            terms = TermsFactory(
                programme__slug=f"bench-{i:02d}",
                programme__name=f"Bench programme {i:02d}",
                programme__reference_hourly_rate="30.00",
            )
            programmes.append(terms.programme)
        password = make_password("demo-pass-2024")
        base_user = 1_000_000
        # The largest programme holds a third of everyone; the rest share the others.
        self._copy(
            "auth_user",
            "id, password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined",
            (
                (
                    base_user + i,
                    password,
                    "f",
                    f"bench{i}@example.com",
                    "Bench",
                    f"Tester {i}",
                    f"bench{i}@example.com",
                    "f",
                    "t",
                    now.isoformat(),
                )
                for i in range(n_people)
            ),
        )
        self._setval("auth_user")

        def programme_of(i):
            if i < n_people // 3:
                return programmes[0]
            return programmes[1 + i % (n_programmes - 1)]

        statuses = ["active"] * 17 + ["withdrawn", "paused", "removed"]
        self._copy(
            "participants_participation",
            "id, user_id, programme_id, status, role, status_reason, joined_at, payout_reference",
            (
                (
                    base_user + i,
                    base_user + i,
                    programme_of(i).pk,
                    statuses[i % len(statuses)],
                    "tester",
                    "",
                    (now - timedelta(days=i % 300)).isoformat(),
                    f"PAY-{i}",
                )
                for i in range(n_people)
            ),
        )
        self._setval("participants_participation")
        terms_of = {
            t.programme_id: t for t in TermsVersion.objects.filter(programme__in=programmes)
        }
        self._copy(
            "participants_consent",
            "participation_id, terms_version_id, terms_hash, accepted_at",
            (
                (
                    base_user + i,
                    terms_of[programme_of(i).pk].pk,
                    terms_of[programme_of(i).pk].content_hash,
                    now.isoformat(),
                )
                for i in range(n_people)
            ),
        )

        def events():
            prev = GENESIS_HASH
            start = datetime(2026, 1, 1, tzinfo=UTC)
            for seq in range(1, n_events + 1):
                created = start + timedelta(milliseconds=seq * 10)
                person = base_user + seq % n_people
                data = canonical_data({"n": seq, "what": "bench"})
                h = event_hash(
                    seq=seq,
                    prev_hash=prev,
                    created_us=epoch_us(created),
                    actor_id=person,
                    action="bench.record.changed",
                    object_type="participants.participation",
                    object_id=str(person),
                    programme_id=programme_of(seq % n_people).pk,
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
                    programme_of(seq % n_people).pk,
                    person,
                    data,
                    prev,
                    h,
                )
                prev = h
            self.last_hash = prev

        self._copy(
            "audit_auditevent",
            "seq, created_at, actor_id, action, object_type, object_id, programme_id, "
            "subject_id, data_json, prev_hash, hash",
            events(),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_audithead (id, seq, hash) VALUES (1, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash",
                [n_events, self.last_hash],
            )
            cursor.execute("ANALYZE")
        self.largest = programmes[0]
        self.person_id = base_user  # in the largest programme
        return {
            "programmes": n_programmes,
            "participants": n_people,
            "largest_programme_participants": Participation.objects.filter(
                programme=self.largest
            ).count(),
            "audit_events": n_events,
        }

    # --- measurements -------------------------------------------------------------------------

    def measure_audit_verify(self, table: Table, n_events: int):
        from audit.selectors import verify_chain

        rates = []
        for _ in range(self.runs):
            start = time.perf_counter()
            result = verify_chain()
            elapsed = time.perf_counter() - start
            if not result.ok:
                raise CommandError(f"audit chain broken: {result.problem}")
            rates.append(result.checked / elapsed)
        s = summary(rates)
        table.add(
            f"`audit_verify` over {n_events:,} events",
            f"{s['median']:,.0f} events/s ({s['min']:,.0f}–{s['max']:,.0f})",
            target="≥ 200,000 events/s",
            ok=s["median"] >= 200_000,
            raw=s,
        )

    def measure_transparency(self, table: Table):
        from programs import transparency
        from programs.models import TransparencySnapshot

        colds = []
        for _ in range(self.runs):
            TransparencySnapshot.objects.filter(programme=self.largest).delete()
            start = time.perf_counter()
            transparency.refresh(self.largest)
            colds.append(time.perf_counter() - start)
        client = Client()
        url = f"/programmes/{self.largest.slug}/"
        p95s, queries = [], 0
        for _ in range(self.runs):
            times, queries = timed_requests(client, url, self.n)
            p95s.append(pct(times, 0.95))
        cold, cached = summary(colds), summary(p95s)
        table.add(
            "transparency page of the largest programme: cold (compute) / cached p95, queries",
            f"cold {cold['median']:.2f} s ({cold['min']:.2f}–{cold['max']:.2f}); cached p95 "
            f"{cached['median']:.1f} ms ({cached['min']:.1f}–{cached['max']:.1f}); "
            f"{queries} queries",
            target="cached p95 ≤ 50 ms, cold ≤ 2 s",
            ok=cached["median"] <= 50 and cold["median"] <= 2,
            raw={"cold_s": cold, "cached_p95_ms": cached, "queries": queries},
        )

    def measure_portal(self, table: Table):
        from django.contrib.auth import get_user_model

        client = Client()
        client.force_login(get_user_model().objects.get(pk=self.person_id))
        p50s, p95s, queries = [], [], 0
        for _ in range(self.runs):
            times, queries = timed_requests(client, "/portal/", self.n)
            p50s.append(pct(times, 0.5))
            p95s.append(pct(times, 0.95))
        p95 = summary(p95s)
        table.add(
            "participant portal home: server time p50/p95, queries",
            f"p50 {statistics.median(p50s):.1f} ms, p95 {p95['median']:.1f} ms "
            f"({p95['min']:.1f}–{p95['max']:.1f}); {queries} queries",
            target="≤ 12 queries, p95 ≤ 50 ms",
            ok=queries <= 12 and p95["median"] <= 50,
            raw={"p95_ms": p95, "queries": queries},
        )
        reset_queries()

    def measure_http(self, table: Table, seconds: int):
        """gunicorn on 2 workers; wrk from a second process; portal home vs a trivial view."""
        from django.contrib.auth import get_user_model
        from django.contrib.sessions.backends.db import SessionStore

        user = get_user_model().objects.get(pk=self.person_id)
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        port = 8799
        db = settings.DATABASES["default"]
        env = {
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "DJANGO_ENV": "development",
            "DEBUG": "false",
            "PATH": "/usr/bin:/bin",
        }
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            _wait_http(f"http://127.0.0.1:{port}/healthz")
            results = {}
            for name, path, cookie in (
                ("trivial", "/healthz", None),
                ("portal", "/portal/", session.session_key),
            ):
                runs = [_wrk(port, path, cookie, seconds) for _ in range(self.runs)]
                results[name] = {
                    "rps": summary([r["rps"] for r in runs]),
                    "p99_ms": summary([r["p99_ms"] for r in runs]),
                    "p90_ms": summary([r["p90_ms"] for r in runs]),
                }
        finally:
            server.terminate()
            server.wait(timeout=20)
        ours, peer = results["portal"], results["trivial"]
        ratio = ours["rps"]["median"] / peer["rps"]["median"]
        table.add(
            "HTTP load, portal home under gunicorn (2 workers, wrk 2 threads × 8 connections)",
            f"{ours['rps']['median']:,.0f} req/s ({ours['rps']['min']:,.0f}–"
            f"{ours['rps']['max']:,.0f}); p90 {ours['p90_ms']['median']:.1f} ms, "
            f"p99 {ours['p99_ms']['median']:.1f} ms",
            peer=f"trivial view {peer['rps']['median']:,.0f} req/s",
            ratio=f"{ratio:.0%} of the trivial view",
            target="≥ 50% of the trivial view's req/s, p95 ≤ 100 ms",
            ok=ratio >= 0.5 and ours["p99_ms"]["median"] <= 100,
            raw=results,
        )


def _cores() -> int:
    import os

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
