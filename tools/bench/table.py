"""The benchmark's table of figures, and the small measuring helpers every part shares."""

import os
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

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
