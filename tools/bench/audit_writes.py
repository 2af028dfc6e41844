"""The benchmark's rows about audited writes under load, each writer a process of its own
(`python -m tools.bench --child jobs-audit-…`), so that what is timed is the database and
not this process's interpreter lock:

- a person's audited write, every 0.2 s, while the hourly accrual over every time entry runs
  and, separately, while the deadline sweep runs: its p99 against its p99 on the idle database;
- four processes writing audited events to different programmes at once, against one.
"""

import json
import os
import select
import subprocess
import sys
import tempfile
import time

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from approvals.models import OutputSubmission
from approvals.services.deadlines import deadlines_sweep
from audit import sequencer
from audit.services import record
from compensation.services.accruals import accrue_hourly
from programs.models import Programme

from . import jobs
from .table import ROOT, pct

PERSON = 1_000_000  # the bench's portal participant
IDLE_SECONDS = 2.0  # the person's writes timed before the job starts
BUSY_SECONDS = 2.0  # the job is run again (rolled back) until it has run this long


def _spawn(what: str, **env) -> subprocess.Popen:
    extra = {f"BENCH_{k.upper()}": str(v) for k, v in env.items()}
    errors = tempfile.TemporaryFile(mode="w+")  # read only when it failed
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.bench", "--child", what],
        cwd=ROOT,
        env={**os.environ, **extra},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    proc.errors = errors
    return proc


def _errors(proc: subprocess.Popen) -> str:
    proc.wait(timeout=60)
    proc.errors.seek(0)
    return proc.errors.read()[-2000:]


def _result(proc: subprocess.Popen) -> dict:
    out = proc.stdout.read()
    if proc.wait(timeout=600) != 0:
        raise CommandError(f"an audited writer failed: {_errors(proc)}")
    return json.loads(out.strip().splitlines()[-1])


def _ready(proc: subprocess.Popen) -> None:
    for line in proc.stdout:  # Django's set-up may log first
        if line.strip() == "ready":
            return
    raise CommandError(f"an audited writer did not start: {_errors(proc)}")


def _bench_programmes() -> list[Programme]:
    return list(Programme.objects.filter(slug__startswith="bench-").order_by("slug"))


# --- In the child processes ---------------------------------------------------------------------


def child_person() -> dict:
    """A person's audited write (one event in its own transaction) every 0.2 s until the
    parent closes stdin: the wall-clock time and duration of each."""
    programme = _bench_programmes()[-1]  # not the largest: the jobs are busy elsewhere too
    person = get_user_model().objects.get(pk=PERSON)
    print("ready", flush=True)
    writes = []
    while True:
        at, start = time.time(), time.perf_counter()
        with transaction.atomic():
            record(action="bench.person.wrote", programme=programme, subject=person, data={})
        writes.append((at, (time.perf_counter() - start) * 1000))
        if select.select([sys.stdin], [], [], 0.2)[0]:
            return {"writes": writes}


def child_writer() -> dict:
    """Audited events (one per transaction) to one programme for BENCH_SECONDS from the line
    the parent sends once every writer is ready: how many were written."""
    programmes = _bench_programmes()
    index = int(os.environ["BENCH_INDEX"])
    programme = programmes[index % len(programmes)]
    seconds = float(os.environ["BENCH_SECONDS"])
    print("ready", flush=True)
    sys.stdin.readline()
    n, end = 0, time.time() + seconds
    while time.time() < end:
        # The writer's number in the data: two writers sharing a programme (below scale 1)
        # would otherwise write the same event in the same microsecond now and then, and an
        # event's keyed hash is unique.
        with transaction.atomic():
            data = {"writer": index, "n": n}
            record(action="bench.writer.event", programme=programme, data=data)
        n += 1
    return {"events": n, "seconds": seconds}


def run_child(what: str) -> dict:
    if what == "jobs-audit-person":
        return child_person()
    if what == "jobs-audit-writer":
        return child_writer()
    raise CommandError(f"unknown child {what}")


# --- In the bench process -----------------------------------------------------------------------


def _accrual(cmd):
    with jobs.rolled_back():
        jobs._confirm_all(cmd)
        accrue_hourly()


def _sweep(cmd):
    with jobs.rolled_back():
        now = timezone.now()
        jobs._make_due(now, OutputSubmission.objects.count() // 10)
        while deadlines_sweep(now=now)["deemed_approved"]:
            pass


def _writes_during(cmd, job) -> tuple[list[float], list[float], int]:
    """(the person's write times idle, during the job, how many times the job ran), in ms."""
    proc = _spawn("jobs-audit-person")
    try:
        _ready(proc)
        time.sleep(IDLE_SECONDS)
        began, runs = time.time(), 0
        while runs == 0 or time.time() - began < BUSY_SECONDS:
            job(cmd)
            runs += 1
        ended = time.time()
    finally:
        proc.stdin.close()
    writes = _result(proc)["writes"]
    idle = [ms for at, ms in writes if at < began]
    busy = [ms for at, ms in writes if began <= at <= ended]
    return idle, busy, runs


def measure_write_during_jobs(cmd, table):
    """A person's audited write every 0.2 s, on the idle database and while a job runs."""
    for name, job in (
        ("the hourly accrual over every time entry", _accrual),
        ("the deadline sweep", _sweep),
    ):
        idle, busy, runs = _writes_during(cmd, job)
        if not idle or not busy:
            raise CommandError(f"no audited write was timed while {name} ran")
        i99, b99 = pct(idle, 0.99), pct(busy, 0.99)
        ratio = b99 / i99
        table.add(
            f"a person's audited write (one event in its own transaction, another process) "
            f"every 0.2 s while {name} runs ({runs} run(s), rolled back)",
            f"p99 {b99:.1f} ms, max {max(busy):.1f} ms ({len(busy)} writes)",
            peer=f"the same write on the idle database: p99 {i99:.1f} ms ({len(idle)} writes)",
            ratio=f"{ratio:.1f}× idle",
            target="p99 ≤ 3× idle",
            ok=ratio <= 3,
            raw={"idle_ms": idle, "busy_ms": busy, "job_runs": runs},
        )
    sequencer.integrate_pending()  # the person's events, sealed as the beat would


def _events_per_second(processes: int, seconds: float) -> float:
    procs = [_spawn("jobs-audit-writer", index=i, seconds=seconds) for i in range(processes)]
    for proc in procs:
        _ready(proc)  # Django set up, a connection open
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [_result(proc) for proc in procs]
    return sum(r["events"] for r in results) / seconds


def measure_parallel_writers(cmd, table):
    """Four processes writing audited events to different programmes at once, against one."""
    seconds = 5.0 if cmd.scale >= 0.1 else 2.0
    one = [_events_per_second(1, seconds) for _ in range(cmd.runs)]
    four = [_events_per_second(4, seconds) for _ in range(cmd.runs)]
    sequencer.integrate_pending()
    o, f = jobs._summary(one), jobs._summary(four)
    ratio = f["median"] / o["median"]
    programmes = len(_bench_programmes())
    spread = "four programmes" if programmes >= 4 else f"the bench's {programmes} programmes"
    cores = os.cpu_count() or 0
    table.add(
        f"four processes writing audited events (one per transaction) to {spread} at once, "
        f"{seconds:.0f} s; this machine has {cores} cores for the four and PostgreSQL",
        f"{f['median']:,.0f} events/s ({f['min']:,.0f}–{f['max']:,.0f})",
        peer=f"one process: {o['median']:,.0f} events/s ({o['min']:,.0f}–{o['max']:,.0f})",
        ratio=f"{ratio:.2f}× one process",
        target="≥ 1.8× one process",
        ok=ratio >= 1.8,
        raw={"one_per_s": one, "four_per_s": four, "cores": cores},
    )
