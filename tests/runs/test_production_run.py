"""The production processes, run as an operator runs them, scaled out on one machine.

`scripts/production.sh` (what `make production` runs: migrate, collectstatic, honcho with the
Procfile, DJANGO_ENV=production) starts two gunicorn webs, two Celery workers and two beats
(a mistake an operator can make) on one PostgreSQL database and one Redis database of their
own, with uploads on an S3 API served on this machine (moto's server) and mail sent to a real
SMTP server in this test (aiosmtpd). Requests carry `X-Forwarded-Proto: https`, as the TLS
proxy in front of gunicorn does. Beat ticks every 5 s (BEAT_EVERY_SECONDS).
"""

import email
import hashlib
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from email import policy as email_policy
from pathlib import Path

import pytest
import requests

from tests.conftest import summarise

from .processes import PY, ROOT, Processes, clean_env, free_port, wait_http, wait_until

pytestmark = pytest.mark.worker

DB = "tt_runs_cluster"
REDIS = "redis://127.0.0.1:6379/8"
BEAT_SECONDS = 5
PROXY = {"X-Forwarded-Proto": "https"}
# A real 1×1 PNG: uploads are decoded and re-encoded (core.uploads), so what is stored and
# served back is the re-encoded image, hashed as stored.
from tests.security.test_downloads import PNG  # noqa: E402


class _ProxiedJar(requests.cookies.RequestsCookieJar):
    """Send the Secure cookies over our plain HTTP hop: TLS ends at the proxy we stand in for."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


class Mailbox:
    """A real SMTP server on this machine (aiosmtpd); keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email_policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def find(self, to: str, subject_part: str) -> list:
        with self.lock:
            return [m for m in self.messages if to in m["To"] and subject_part in str(m["Subject"])]


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True, capture_output=True
    )


def browser(base: str) -> requests.Session:
    s = requests.Session()
    s.cookies = _ProxiedJar()
    s.headers.update(PROXY)
    s.base = base
    return s


def login(s: requests.Session, address: str) -> requests.Session:
    s.get(f"{s.base}/accounts/login/", timeout=20)
    r = s.post(
        f"{s.base}/accounts/login/",
        data={
            "login": address,
            "password": "demo-pass-2024",
            "csrfmiddlewaretoken": s.cookies["csrftoken"],
        },
        headers={"Referer": f"https://{s.base.split('://')[1]}/accounts/login/"},
        timeout=20,
    )
    assert r.status_code == 200 and "/portal/" in r.url, (r.status_code, r.url, r.text[:500])
    s.headers["X-CSRFToken"] = s.cookies["csrftoken"]
    s.headers["Referer"] = f"https://{s.base.split('://')[1]}/"
    return s


@pytest.fixture(scope="module")
def cluster():
    if shutil.which("psql") is None or shutil.which("redis-cli") is None:
        pytest.fail("needs PostgreSQL and Redis on this machine (make test starts them)")
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="tt-cluster-", dir=ROOT / "var"))
    procs = Processes(tmp)
    mailbox = Mailbox()
    mailbox.controller.start()
    port, s3_port = free_port(), free_port()
    while s3_port in (port, port + 1):
        s3_port = free_port()
    try:
        _psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        _psql(f'CREATE DATABASE "{DB}"')
        subprocess.run(["redis-cli", "-u", REDIS, "flushdb"], check=True, capture_output=True)
        procs.start(
            "s3",
            [str(Path(PY).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
            clean_env(),
        )
        s3_url = f"http://127.0.0.1:{s3_port}"
        wait_http(s3_url, timeout=60, alive=procs.check_alive)
        import boto3

        s3 = boto3.client(
            "s3",
            endpoint_url=s3_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        s3.create_bucket(Bucket="tt-uploads")
        database_url = f"postgres://postgres@127.0.0.1:5432/{DB}"
        storage = dict(
            AWS_STORAGE_BUCKET_NAME="tt-uploads",
            AWS_S3_ENDPOINT_URL=s3_url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_S3_REGION_NAME="us-east-1",
        )
        # The demo people, seeded as development (the demo refuses production).
        seed_env = clean_env(DATABASE_URL=database_url, DJANGO_ENV="development", **storage)
        procs.run("migrate", [PY, "manage.py", "migrate", "--noinput", "-v0"], seed_env)
        procs.run("demo", [PY, "-m", "demo"], seed_env)
        env = clean_env(
            PORT=port,
            DATABASE_URL=database_url,
            REDIS_URL=REDIS,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=mailbox.port,
            MEDIA_ROOT=tmp / "media-not-used",
            BEAT_EVERY_SECONDS=BEAT_SECONDS,
            CELERY_BEAT_SCHEDULE_FILENAME=tmp / "beat-schedule",
            PROCFILE_CONCURRENCY="web=2,worker=2,beat=2",
            WEB_CONCURRENCY=2,
            WORKER_CONCURRENCY=2,
            CELERY_LOG_LEVEL="info",
            # Staff two-factor is tested on its own (tests/security); these reviewers use none.
            REQUIRE_STAFF_MFA="false",
            **storage,
        )
        procs.start("production", ["bash", "scripts/production.sh"], env)
        webs = [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
        for web in webs:
            wait_http(f"{web}/healthz", timeout=180, alive=procs.check_alive, headers=PROXY)
        yield {
            "webs": webs,
            "procs": procs,
            "mailbox": mailbox,
            "s3": s3,
            "tmp": tmp,
            "started": started,
        }
    finally:
        procs.stop_all()
        mailbox.controller.stop()
        try:
            _psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        except subprocess.CalledProcessError:
            pass
        print(
            f"FIGURE production run: cluster up, tested and stopped in {time.monotonic() - started:.0f} s"
        )


def test_the_procfile_serves_pages_and_the_workers_mail_a_link_that_works(cluster):
    web = cluster["webs"][0]
    home = requests.get(f"{web}/programmes/fair-beta/", headers=PROXY, timeout=20)
    assert home.status_code == 200 and "Fair Creative Beta" in home.text
    # Static files are served by WhiteNoise from collectstatic's hashed names.
    css = re.search(r'href="(/static/[^"]+\.css)"', home.text)
    assert (
        css and requests.get(f"{web}{css.group(1)}", headers=PROXY, timeout=20).status_code == 200
    )

    s = browser(web)
    s.get(f"{web}/accounts/password/reset/", timeout=20)
    r = s.post(
        f"{web}/accounts/password/reset/",
        data={"email": "participant2@example.com", "csrfmiddlewaretoken": s.cookies["csrftoken"]},
        headers={"Referer": f"https://{web.split('://')[1]}/accounts/password/reset/"},
        timeout=20,
    )
    assert r.status_code == 200, r.text[:500]
    mails = wait_until(
        lambda: cluster["mailbox"].find("participant2@example.com", "Password Reset"),
        timeout=60,
        what="the password-reset mail on the SMTP server",
        alive=cluster["procs"].check_alive,
    )
    body = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert "Hello from Terms & Testers!" in body
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", body).group(0)
    # The link names the address the product is served on, behind its TLS proxy.
    assert link.startswith(f"https://{web.split('://')[1]}/"), link
    page = s.get(link.replace("https://", "http://", 1), timeout=20)
    assert page.status_code == 200 and 'name="password1"' in page.text, page.text[:500]
    assert "worker.1" in cluster["procs"].log("production")


def test_two_beats_tick_and_each_periodic_task_runs_once_per_interval(cluster):
    procs = cluster["procs"]
    time.sleep(4 * BEAT_SECONDS)
    log = procs.log("production")
    assert "beat.1" in log and "beat.2" in log
    runs: dict[str, list[datetime]] = defaultdict(list)
    skipped = 0
    pattern = re.compile(
        r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/\S+\] Task core\.tasks\.run_periodic\[[^\]]+\] "
        r"succeeded in [\d.]+s: '(ran|skipped) ([\w.]+)"
    )
    for when, what, task in pattern.findall(log):
        if what == "ran":
            runs[task].append(datetime.strptime(when, "%Y-%m-%d %H:%M:%S,%f"))
        else:
            skipped += 1
    assert (
        "approvals.tasks.sweep_review_deadlines" in runs
        and "core.tasks.retry_pending_outbox" in runs
    )
    assert skipped > 0, "the second beat's ticks were not refused"
    closest = min(
        (b - a).total_seconds()
        for times in runs.values()
        for a, b in zip(sorted(times), sorted(times)[1:], strict=False)
    )
    # Two beats started together tick together: without the lock, runs come ~0 s apart.
    assert closest >= int(BEAT_SECONDS * 0.9) - 0.5, (
        f"a periodic task ran twice within {closest:.2f} s"
    )
    ticks = sum(len(t) for t in runs.values())
    print(
        f"FIGURE two beats, {BEAT_SECONDS} s interval: {ticks} periodic runs over {len(runs)} tasks, "
        f"{skipped} second ticks refused by the lock; closest two runs of one task {closest:.1f} s apart"
    )
    summarise(faults=1, doubled=0)


def test_an_upload_through_one_web_is_downloaded_through_the_other_and_refused_to_others(cluster):
    first, second = cluster["webs"]
    owner = login(browser(first), "participant@example.com")
    r = owner.post(
        f"{first}/api/v1/submissions/",
        data={"programme": "fair-beta", "title": "Stored on S3", "intended_use": "social"},
        files={"file": ("frame.png", PNG, "image/png")},
        timeout=30,
    )
    assert r.status_code == 201, r.text[:500]
    pk = r.json()["id"]
    stored = cluster["s3"].list_objects_v2(Bucket="tt-uploads").get("Contents", [])
    keys = [o["Key"] for o in stored if o["Key"].startswith("outputs/")]
    assert len(keys) == 1, keys  # the demo's payout files are in the bucket too
    assert not (cluster["tmp"] / "media-not-used").exists()

    body = cluster["s3"].get_object(Bucket="tt-uploads", Key=keys[0])["Body"].read()
    owner.base = second
    got = owner.get(f"{second}/outputs/{pk}/file/", timeout=30)
    assert got.status_code == 200 and got.content == body
    assert hashlib.sha256(body).hexdigest() == r.json()["content_hash"]
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["Cache-Control"] == "no-store"

    other = login(browser(second), "participant2@example.com")
    for web in (first, second):
        refused = other.get(f"{web}/outputs/{pk}/file/", timeout=30, allow_redirects=False)
        assert refused.status_code == 404 and body not in refused.content
        anonymous = requests.get(
            f"{web}/outputs/{pk}/file/", headers=PROXY, allow_redirects=False, timeout=30
        )
        assert anonymous.status_code == 302 and body not in anonymous.content
    # The bucket itself is private: its address without a signature gives nothing.
    raw = requests.get(f"{cluster['s3'].meta.endpoint_url}/tt-uploads/{keys[0]}", timeout=30)
    assert body not in raw.content
    summarise(pairs=6)


def test_decisions_through_both_webs_at_once_land_once_and_notify_once(cluster):
    first, second = cluster["webs"]
    participant = login(browser(first), "participant@example.com")
    pairs = 6
    ids = []
    for i in range(pairs):
        r = participant.post(
            f"{first}/api/v1/submissions/",
            json={
                "programme": "fair-beta",
                "title": f"Twice decided {i}",
                "intended_use": "social",
                "url": f"https://media.example.org/twice-{i}.mp4",
            },
            timeout=30,
        )
        assert r.status_code == 201, r.text[:500]
        ids.append(r.json()["id"])
    reviewers = [login(browser(web), "reviewer@example.com") for web in (first, second)]
    answers: dict[int, list[int]] = defaultdict(list)

    def decide(session, pk, gate):
        gate.wait()
        r = session.post(
            f"{session.base}/api/v1/submissions/{pk}/decide/",
            json={"outcome": "approved", "reason": "", "note": ""},
            timeout=60,
        )
        answers[pk].append(r.status_code)

    for pk in ids:
        gate = threading.Barrier(2)
        threads = [threading.Thread(target=decide, args=(s, pk, gate)) for s in reviewers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
    for pk in ids:
        assert sorted(answers[pk])[0] == 200 and len(answers[pk]) == 2, answers[pk]
        assert sorted(answers[pk])[1] in (400, 409), answers[pk]
        detail = participant.get(f"{first}/api/v1/submissions/{pk}/", timeout=30).json()
        assert detail["status"] == "approved"
        assert len(detail["decisions"]) == 1, detail["decisions"]

    def mails():
        found = {
            i: len(cluster["mailbox"].find("participant@example.com", f"Twice decided {i}"))
            for i in range(pairs)
        }
        return found if all(found.values()) else None

    found = wait_until(
        mails, timeout=60, what="one mail per decision", alive=cluster["procs"].check_alive
    )
    time.sleep(2 * BEAT_SECONDS)  # the outbox retry ticks too: nothing more may arrive
    found = mails()
    doubled = sum(n - 1 for n in found.values())
    print(
        f"FIGURE scale-out (2 gunicorn webs, 2 workers, 2 beats): {pairs} decisions sent through "
        f"both webs at once, {pairs} landed, {sum(found.values())} mails, {doubled} doubled"
    )
    summarise(pairs=pairs, doubled=doubled)
    assert doubled == 0, found
