"""Shared personas and the machinery of the two test passes.

Personas (every test may ask for them by name):
- `programme` (running, fair terms v1) and `other_programme`;
- `participant`, `participant2` (same programme), `outsider` (a participant of the other programme);
- `reviewer`, `other_reviewer` (of the other programme), `finance`, `manager`;
- `anonymous` is simply the unauthenticated `client`.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings

from programs.models import ProgrammeRole

from .factories import (
    ProgrammeFactory,
    TermsFactory,
    UserFactory,
    make_participant,
    make_staff,
)

ROOT = Path(__file__).resolve().parent.parent


FIGURES: list[str] = []
# What the reliability and security tests tried and found, summed over the run:
# `summarise(pairs=840)`, `summarise(faults=1, lost=0, doubled=0)`.
SUMMARY_KEYS = ("pairs", "inputs", "faults", "lost", "doubled")
SUMMARY = dict.fromkeys(SUMMARY_KEYS, 0)


def summarise(**counts: int) -> None:
    for key, value in counts.items():
        SUMMARY[key] += value  # an unknown key is a KeyError: a typo must not vanish


def pytest_runtest_logreport(report):
    """Collect the `FIGURE …` lines tests print (measured figures, not pass/fail).

    The teardown report's output holds the setup's and the call's too, so it is read once.
    """
    if report.when == "teardown":
        for line in report.capstdout.splitlines():
            if line.startswith("FIGURE "):
                FIGURES.append(line[len("FIGURE ") :])


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    vendor = "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
    # The pass's name (make test sets it), so the browser pass on SQLite does not overwrite
    # the figures of the SQLite suite.
    vendor = os.environ.get("TT_PASS", vendor)
    s = SUMMARY
    lines = [
        *FIGURES,
        f"summary: {s['pairs']} pairs tried, {s['inputs']} inputs tried, {s['faults']} faults "
        f"injected, {s['lost']} records lost, {s['doubled']} records doubled",
    ]
    terminalreporter.section(f"figures ({vendor})")
    for line in lines:
        terminalreporter.write_line(line)
    out = ROOT / "var" / f"figures-{vendor}.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("".join(f"{vendor}: {line}\n" for line in lines))


def compile_catalogues() -> list[Path]:
    """The translations compiled as `make run` compiles them (Babel): .mo files are not kept
    in git, so every run of the tests builds them from the .po files it tests."""
    compiled = []
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po")):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            # Written aside and renamed: a second pytest process never reads half a file.
            part = mo_path.with_suffix(f".{os.getpid()}.part")
            with po_path.open("rb") as po, part.open("wb") as mo:
                write_mo(mo, read_po(po))
            part.replace(mo_path)
        compiled.append(mo_path)
    return compiled


def pytest_sessionstart(session):
    compile_catalogues()


def pytest_collection_modifyitems(config, items):
    """A test marked `postgres` fails on SQLite instead of skipping silently."""
    vendor = settings.DATABASES["default"]["ENGINE"]
    for item in items:
        if item.get_closest_marker("postgres") and "postgresql" not in vendor:
            item.add_marker(
                pytest.mark.xfail(
                    reason="needs PostgreSQL; run with -m 'not postgres'", run=False, strict=True
                )
            )


# Names the tests use for outside receivers. This machine has no outside DNS, and webhook
# URLs must resolve to a public address (core.outbound), so these answer as public hosts.
FAKE_PUBLIC_DNS = {"example.org": "93.184.215.14", "example.com": "93.184.215.14"}


@pytest.fixture(autouse=True)
def _fake_public_dns(monkeypatch):
    from core import outbound

    real = outbound._resolve

    def resolve(host, port):
        name = host.lower()
        for suffix, address in FAKE_PUBLIC_DNS.items():
            if name == suffix or name.endswith("." + suffix) or name.endswith(".example"):
                return [address]
        return real(host, port)

    monkeypatch.setattr(outbound, "_resolve", resolve)


@pytest.fixture(autouse=True)
def _tasks_eager_unless_worker(request, settings):
    """Tasks run in-process unless the test drives the real worker.

    Ordinary tests run inside a transaction the worker cannot see, so a real
    worker would find nothing; tests marked `worker` commit and use it.
    """
    from config.celery import app

    eager = request.node.get_closest_marker("worker") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager or not settings.REDIS_URL
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _audit_checkpoints_in_a_temporary_directory(settings, tmp_path_factory):
    """Each test writes and reads audit checkpoints of its own, never the run's var/."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path_factory.mktemp("audit-checkpoints")


@pytest.fixture
def programme(db):
    terms = TermsFactory(programme=ProgrammeFactory(name="Alpha", slug="alpha"))
    return terms.programme


@pytest.fixture
def other_programme(db):
    terms = TermsFactory(programme=ProgrammeFactory(name="Beta", slug="beta"))
    return terms.programme


@pytest.fixture
def participant(programme):
    return make_participant(programme, email="participant@example.com")


@pytest.fixture
def participant2(programme):
    return make_participant(programme, email="participant2@example.com")


@pytest.fixture
def outsider(other_programme):
    return make_participant(other_programme, email="outsider@example.com")


@pytest.fixture
def reviewer(programme):
    return make_staff(programme, ProgrammeRole.Role.REVIEWER, email="reviewer@example.com")


@pytest.fixture
def other_reviewer(other_programme):
    return make_staff(
        other_programme, ProgrammeRole.Role.REVIEWER, email="other-reviewer@example.com"
    )


@pytest.fixture
def finance(programme):
    return make_staff(programme, ProgrammeRole.Role.FINANCE, email="finance@example.com")


@pytest.fixture
def manager(programme):
    return make_staff(programme, ProgrammeRole.Role.MANAGER, email="manager@example.com")


@pytest.fixture
def user_factory(db):
    return UserFactory


@pytest.fixture
def as_user(client):
    """`as_user(person)` signs `client` in as that person and returns it."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


# --- The real Celery worker (PostgreSQL + Redis pass) ---------------------------------


def start_worker(name: str, **extra_env):
    """A real Celery worker process against the test database and Redis (ready when returned)."""
    if not settings.REDIS_URL or "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.fail("Worker tests need REDIS_URL and PostgreSQL (make test sets both).")
    db = settings.DATABASES["default"]
    mail_dir = ROOT / "var" / f"test-mail-{db['NAME']}"
    mail_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_ENV": "test",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        **extra_env,
    }
    log = open(ROOT / "var" / f"test-worker-{name}-{db['NAME']}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-l",
            "info",
            "-P",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{name}-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"The Celery worker exited at start; see {log.name}")
        try:
            replies = app.control.ping(timeout=1) or []
            if any(name in key for reply in replies for key in reply):
                break
        except Exception:  # noqa: BLE001 - the broker may still be starting
            pass
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("The Celery worker did not answer a ping within 60 s")
    return {"proc": proc, "mail_dir": mail_dir, "env": env, "log": log}


def stop_worker(worker) -> None:
    worker["proc"].terminate()
    try:
        worker["proc"].wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker["proc"].kill()
    worker["log"].close()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker for the whole session, stopped at the end."""
    worker = start_worker("session")
    yield worker
    stop_worker(worker)


def wait_for(predicate, *, timeout=20.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


# --- Headless Chromium (browser tests) ------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (Playwright's own browser download is not used)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: make test installs it (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def browser_login(page, live_server, email, password="demo-pass-2024"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")  # not the language menu's
    page.wait_for_url(f"{live_server.url}/portal/")
