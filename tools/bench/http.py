"""The benchmark's load test: the pages under `wrk` against gunicorn with the production
worker count."""

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import CommandError

from .table import ROOT, Table, summary


class MeasureHttp:
    """Mixin of the bench command: `measure_http()`."""

    def measure_http(self, table: Table, seconds: int):
        """gunicorn as docs/deployment.md runs it, wrk in another process: ours vs a bare page."""

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


# The worker count of the production command in docs/deployment.md (`gunicorn config.wsgi -w 4`):
# while one worker waits on PostgreSQL or Redis another uses the core.
HTTP_WORKERS = 4


def _wait_http(url: str, timeout: float = 30):

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

    def latency(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        raise CommandError(f"{path} answered {non2xx.group(1)} errors under load")
    return {"rps": rps, "p90_ms": latency(90), "p99_ms": latency(99)}
