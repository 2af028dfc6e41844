"""A throwaway Redis server for fault tests, so that stopping it harms nobody else.

The shared Redis on 6379 serves other test sessions and the session's Celery worker;
fault tests start their own `redis-server` on a free port, point this process's Celery
app and cache at it (`use_redis`), hand its URL to a worker of their own, and stop and
restart it at will. Processes are ended by their own pid, never by name.
"""

import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self):
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="tt-redis-")
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def _cli(self, *args):
        return subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            timeout=5,
        )

    def up(self) -> bool:
        return self._cli("ping").stdout.strip() == "PONG"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.up():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"private redis-server on {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server the way a crash or a restart would: connections drop, data is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def private_redis():
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.close()


def _reset_celery_connections(app) -> None:
    """Drop every pooled broker connection, so the next publish connects to the new URL.

    `app.pool.force_close_all()` alone would leave a *closed* pool registered in kombu's
    global registry under the old URL, and every later publish there would fail.
    """
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def use_redis(server: PrivateRedis, settings):
    """Point this process's Celery broker and Django cache at `server` (restored after)."""
    from config.celery import app

    previous = app.conf.broker_url
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            "KEY_PREFIX": "tt-fault",
        }
    }
    app.conf.broker_url = server.url
    _reset_celery_connections(app)
    try:
        yield
    finally:
        app.conf.broker_url = previous
        _reset_celery_connections(app)
