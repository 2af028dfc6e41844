"""Starting the product's real processes from the tests, and always stopping them.

Each process gets its own session (process group), so stopping it stops what it started
(honcho's children, gunicorn's workers); `Processes` stops everything it started when the
test ends, also when it fails.
"""

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
VENV_BIN = str(Path(sys.executable).parent)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(offsets, avoid=()) -> int:
    """A base port such that base + each offset is free on every address, below the kernel's
    range of ephemeral ports: honcho gives web.2 PORT+1 and the worker and beat PORT+100 and
    PORT+200, which a port the kernel picked (`free_port`) does not reserve, and a client
    socket of the suite can hold a port of that range by the time the cluster binds it."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(10_000, low - max(offsets) - 1)
        ports = [base + o for o in offsets]
        if set(ports) & set(avoid):
            continue
        try:
            for port in ports:
                with socket.socket() as s:
                    s.bind(("0.0.0.0", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no free block of ports for offsets {offsets}")


def clean_env(**extra) -> dict:
    """The environment of a fresh shell: none of the test settings leak into the product."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "DJANGO_SETTINGS_MODULE")
        and not k.startswith(("PYTEST_", "CELERY_", "AWS_"))
    }
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Processes:
    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.started: list[tuple[str, subprocess.Popen, object]] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115 - closed in stop_all
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append((name, proc, log))
        return proc

    def run(self, name: str, args: list[str], env: dict, timeout: float = 300) -> str:
        """Run a command to its end; its output, or a failure naming it."""
        done = subprocess.run(
            args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise AssertionError(
                f"{name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def check_alive(self) -> None:
        for name, proc, _ in self.started:
            if proc.poll() is not None:
                raise AssertionError(
                    f"{name} exited ({proc.returncode}):\n{self.log(name)[-3000:]}"
                )

    def stop(self, name: str, timeout: float = 25) -> None:
        for entry in list(self.started):
            if entry[0] == name:
                self._stop(*entry, timeout=timeout)
                self.started.remove(entry)

    def stop_all(self, timeout: float = 25) -> None:
        while self.started:
            self._stop(*self.started.pop(), timeout=timeout)

    @staticmethod
    def _stop(name, proc, log, timeout):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        try:  # anything left in its group (a child that ignored SIGTERM)
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        log.close()


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.5, alive=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None:
            alive()
        try:
            value = predicate()
        except (requests.RequestException, OSError):
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")


def wait_http(url: str, *, timeout: float = 90, alive=None, headers=None) -> None:
    wait_until(
        lambda: requests.get(url, timeout=5, headers=headers or {}).status_code < 500,
        timeout=timeout,
        what=f"{url} to answer",
        alive=alive,
    )
