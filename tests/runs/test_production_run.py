"""The production processes, run as an operator runs them, scaled out on one machine.

`scripts/production.sh` (what `make production` runs: migrate, collectstatic, honcho with the
Procfile, DJANGO_ENV=production) starts two gunicorn webs, two Celery workers and two beats
(a mistake an operator can make) on one PostgreSQL database and one Redis database of their
own, with uploads on an S3 API served on this machine (moto's server) and mail sent to a real
SMTP server in this test (aiosmtpd). Requests carry `X-Forwarded-Proto: https`, as the TLS
proxy in front of gunicorn does. Beat ticks every 5 s (BEAT_EVERY_SECONDS).

A real Prometheus (Debian's) scrapes the metrics of every process (the webs' /metrics, the
workers' and beats' ports) with the repository's alert rules; a worker is stopped (SIGSTOP,
as a hung worker is: honcho would stop everything if one process exited) and started again.
Every process logs JSON lines (production's default), which are read back here.
"""

import email
import hashlib
import json
import os
import re
import shutil
import signal
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

from .processes import (
    PY,
    ROOT,
    Processes,
    clean_env,
    free_port,
    free_ports,
    wait_http,
    wait_until,
)

pytestmark = pytest.mark.worker

# Two checkouts on one machine run this side by side with their own database and Redis db.
DB = os.environ.get("TT_CLUSTER_DB", "tt_runs_cluster")
REDIS = f"redis://127.0.0.1:6379/{os.environ.get('TT_CLUSTER_REDIS_DB', '8')}"
BEAT_SECONDS = 5
METRICS_TOKEN = "cluster-metrics-token-0123456789-abcdefghijklmnop"
BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def _keys() -> dict:
    """Production's keys, made here so the demo is seeded with the keys production runs with
    (an audit log keyed with the development key does not verify in production)."""
    import base64
    import secrets

    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return {
        "AUDIT_HMAC_KEYS": "k1:" + secrets.token_urlsafe(48),
        "AUDIT_SIGNING_KEY": "s1:" + base64.b64encode(raw).decode(),
        "PAYOUT_DETAILS_KEYS": Fernet.generate_key().decode(),
        "SECRET_KEY": secrets.token_urlsafe(60),
    }


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


def json_lines(log: str, prefix: str = "") -> list[dict]:
    """The JSON lines of the processes whose honcho name starts with `prefix` ("worker.")."""
    out = []
    for line in log.splitlines():
        name, bar, text = line.partition(" | ")
        if not bar or not text.startswith("{") or prefix not in name:
            continue
        try:
            entry = json.loads(text)
        except json.JSONDecodeError:
            continue
        entry["process"] = name.split()[-1]
        out.append(entry)
    return out


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
    port = free_ports((0, 1, 100, 101, 200, 201))  # web, worker and beat, two of each
    s3_port = free_ports(
        (0,), avoid=(port, port + 1, port + 100, port + 101, port + 200, port + 201)
    )
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
        # The seed and the cluster share the site's address: the audit log's checkpoints name
        # it (their origin line), so a log seeded under another address does not verify.
        keys = {**_keys(), "AUDIT_CHECKPOINT_DIR": tmp / "audit-checkpoints"}
        site = f"http://127.0.0.1:{port}"
        seed_env = clean_env(
            DATABASE_URL=database_url, DJANGO_ENV="development", SITE_URL=site, **storage, **keys
        )
        procs.run("migrate", [PY, "manage.py", "migrate", "--noinput", "-v0"], seed_env)
        procs.run("demo", [PY, "-m", "demo"], seed_env)
        env = clean_env(
            PORT=port,
            SITE_URL=site,
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
            METRICS_TOKEN=METRICS_TOKEN,
            METRICS_DIR=tmp / "metrics",
            HEALTH_MIN_WORKERS=2,  # both workers must answer, so one stopped is seen
            ADMINS="Operator <operator@ops.example.net>",
            **storage,
            **keys,
        )
        procs.start("production", ["bash", "scripts/production.sh"], env)
        webs = [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
        for web in webs:
            wait_http(f"{web}/healthz", timeout=180, alive=procs.check_alive, headers=PROXY)
        yield {
            "webs": webs,
            "port": port,
            "procs": procs,
            "mailbox": mailbox,
            "s3": s3,
            "tmp": tmp,
            "started": started,
            "database_url": database_url,
            "keys": keys,
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
        r"Task core\.tasks\.run_periodic\[[^\]]+\] succeeded in [\d.]+s: '(ran|skipped) ([\w.]+)"
    )
    for line in json_lines(log):
        found = pattern.search(line.get("event", ""))
        if not found:
            continue
        if found.group(1) == "ran":
            runs[found.group(2)].append(datetime.fromisoformat(line["timestamp"]))
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

    def outputs() -> set[str]:
        stored = cluster["s3"].list_objects_v2(Bucket="tt-uploads").get("Contents", [])
        return {o["Key"] for o in stored if o["Key"].startswith("outputs/")}

    # The demo's outputs, signed copies and payout files are in the bucket too.
    before = outputs()
    r = owner.post(
        f"{first}/api/v1/submissions/",
        data={"programme": "fair-beta", "title": "Stored on S3", "intended_use": "social"},
        files={"file": ("frame.png", PNG, "image/png")},
        timeout=30,
    )
    assert r.status_code == 201, r.text[:500]
    pk = r.json()["id"]
    keys = sorted(outputs() - before)
    assert len(keys) == 1, keys
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


def _prometheus(cluster) -> str:
    """A real Prometheus (Debian's) scraping every process every second, with the repository's
    alert rules evaluated every second (their `for:` shortened to 2 s); its address."""
    if shutil.which("prometheus") is None:
        pytest.fail("needs Debian's prometheus (scripts/services.sh ensure_prometheus)")
    if "prometheus" in cluster:
        return cluster["prometheus"]
    tmp, port = cluster["tmp"], cluster["port"]
    rules = (ROOT / "monitoring" / "prometheus" / "alerts.yml").read_text()
    (tmp / "alerts.yml").write_text(re.sub(r"(?m)^(\s+)for: \S+$", r"\1for: 2s", rules))
    jobs = {"tt-web": port, "tt-worker": port + 100, "tt-beat": port + 200}
    scrape_configs = [
        {
            "job_name": job,
            "authorization": {"type": "Bearer", "credentials": METRICS_TOKEN},
            "static_configs": [{"targets": [f"127.0.0.1:{base}", f"127.0.0.1:{base + 1}"]}],
        }
        for job, base in jobs.items()
    ]
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp / "alerts.yml")],
        "scrape_configs": scrape_configs,
    }
    (tmp / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    address = f"http://127.0.0.1:{free_port()}"
    cluster["procs"].start(
        "prometheus",
        [
            "prometheus",
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'prometheus-data'}",
            f"--web.listen-address={address.split('://')[1]}",
        ],
        clean_env(),
    )
    wait_http(f"{address}/-/ready", timeout=60, alive=cluster["procs"].check_alive)
    cluster["prometheus"] = address
    return address


def _query(prometheus: str, expr: str) -> list:
    answer = requests.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10)
    return answer.json()["data"]["result"]


def _firing(prometheus: str, alert: str) -> list:
    alerts = requests.get(f"{prometheus}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == alert and a["state"] == "firing"]


def _ready(web: str) -> requests.Response:
    return requests.get(f"{web}/healthz/ready", headers={**PROXY, **BEARER}, timeout=20)


def test_prometheus_scrapes_every_process_and_a_stopped_worker_fires_the_alert_and_clears(
    cluster,
):
    procs, web = cluster["procs"], cluster["webs"][0]
    prometheus = _prometheus(cluster)
    targets = wait_until(
        lambda: (
            lambda active: (
                active if len(active) == 6 and all(t["health"] == "up" for t in active) else None
            )
        )(requests.get(f"{prometheus}/api/v1/targets", timeout=10).json()["data"]["activeTargets"]),
        timeout=60,
        what="Prometheus to scrape the 2 webs, 2 workers and 2 beats",
        alive=procs.check_alive,
    )
    assert (
        sorted(t["labels"]["job"] for t in targets)
        == ["tt-beat"] * 2 + ["tt-web"] * 2 + ["tt-worker"] * 2
    )
    # Without the token every metrics port refuses.
    port = cluster["port"]
    for target in (port, port + 100, port + 200):
        assert requests.get(f"http://127.0.0.1:{target}/metrics", timeout=10).status_code == 403
    # The figures of the domain (from each web), of requests, and of the workers' tasks.
    wait_until(
        lambda: (
            _query(prometheus, "sum(tt_celery_tasks_total) > 0")
            and _query(prometheus, 'tt_periodic_last_success_timestamp_seconds{job="tt-web"}')
        ),
        timeout=60,
        what="the workers' task counts and the periodic tasks' last runs",
        alive=procs.check_alive,
    )
    for expr in (
        'count(tt_outbox_pending{job="tt-web"}) == 2',
        'tt_celery_queue_depth{job="tt-web", queue="celery"}',
        "time() - max(tt_beat_last_tick_timestamp_seconds) < 30",
        'sum(django_http_requests_latency_seconds_by_view_method_count{job="tt-web"}) > 0',
        'count(process_start_time_seconds{job="tt-beat"}) == 2',
    ):
        assert _query(prometheus, expr), expr
    assert _ready(web).status_code == 200, _ready(web).text

    pid = int(re.findall(r"worker\.2 started \(pid=(\d+)\)", procs.log("production"))[-1])
    stopped_at = time.monotonic()
    os.killpg(pid, signal.SIGSTOP)
    try:
        answer = wait_until(
            lambda: (lambda r: [r] if r.status_code == 503 else None)(_ready(web)),
            timeout=60,
            what="/healthz/ready to fail naming the worker",
            alive=procs.check_alive,
        )[0]
        assert answer.json()["failing"] == ["worker"], answer.text
        assert answer.json()["checks"]["worker"]["detail"].startswith("1 of 2 workers answered")
        firing = wait_until(
            lambda: _firing(prometheus, "WorkerDown"),
            timeout=60,
            what="the WorkerDown alert to fire",
            alive=procs.check_alive,
        )
        assert [a["labels"]["instance"] for a in firing] == [f"127.0.0.1:{port + 101}"]
        fired_after = time.monotonic() - stopped_at
    finally:
        os.killpg(pid, signal.SIGCONT)
    started_at = time.monotonic()
    wait_until(
        lambda: _ready(web).status_code == 200,
        timeout=60,
        what="/healthz/ready to recover",
        alive=procs.check_alive,
    )
    wait_until(
        lambda: not _firing(prometheus, "WorkerDown"),
        timeout=60,
        what="the WorkerDown alert to clear",
        alive=procs.check_alive,
    )
    # The dashboard's panels drawn from this Prometheus, for the operations guide's picture.
    from tools.ops.dashboard import render

    (ROOT / "var" / "dashboard.html").write_text(render(prometheus, minutes=3))
    print(
        f"FIGURE metrics: Prometheus scraped 6 processes (2 webs, 2 workers, 2 beats); a stopped "
        f"worker fired WorkerDown in {fired_after:.1f} s (1 s scrapes, for: 2 s) and both "
        f"/healthz/ready and the alert cleared {time.monotonic() - started_at:.1f} s after it resumed"
    )


def test_a_request_and_the_task_it_queued_log_json_lines_with_the_same_request_id(cluster):
    web = cluster["webs"][1]
    s = browser(web)
    s.get(f"{web}/accounts/password/reset/", timeout=20)
    r = s.post(
        f"{web}/accounts/password/reset/",
        data={"email": "reviewer@example.com", "csrfmiddlewaretoken": s.cookies["csrftoken"]},
        headers={"Referer": f"https://{web.split('://')[1]}/accounts/password/reset/"},
        timeout=20,
    )
    request_id = r.history[0].headers["X-Request-ID"] if r.history else r.headers["X-Request-ID"]

    def both():
        lines = [
            e
            for e in json_lines(cluster["procs"].log("production"))
            if e.get("request_id") == request_id
        ]
        webs = [e for e in lines if e["process"].startswith("web.")]
        workers = [e for e in lines if e["process"].startswith("worker.")]
        return (webs, workers) if webs and workers else None

    webs, workers = wait_until(
        both, timeout=60, what="the worker's lines of the task the request queued"
    )
    finished = [e for e in webs if e["event"] == "request_finished"]
    assert finished and finished[0]["request"] == "POST /accounts/password/reset/"
    assert finished[0]["action"] == "account_reset_password" and finished[0]["code"] == 302
    started = [e for e in workers if e["event"] == "task_started"]
    assert started and started[0]["task"] == "core.tasks.send_outbox_message"
    assert all(e.get("task_id") for e in workers)
    print(
        f"FIGURE logs: request {request_id[:8]}… logged {len(webs)} web line(s) and "
        f"{len(workers)} worker line(s) with the same request id"
    )


def test_no_log_line_of_any_process_holds_a_secret_a_token_an_iban_or_an_email(cluster):
    """Run last: every process's log from the whole run above (log-ins, uploads, decisions,
    a password reset and its link, the metrics token, a stopped worker) is searched for the
    demo's secrets and for anything shaped like an email address or an IBAN."""
    from schwifty import IBAN

    from core.logs import EMAIL
    from core.logs import IBAN as IBAN_SHAPE

    log = cluster["procs"].log("production")
    assert len(log.splitlines()) > 200
    emails = subprocess.run(
        ["psql", cluster["database_url"], "-Atc", "SELECT email FROM auth_user"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert "participant@example.com" in emails
    secrets = {
        "the demo password": "demo-pass-2024",
        "the metrics token": METRICS_TOKEN,
        **{
            name: value.split(":", 1)[-1]
            for name, value in cluster["keys"].items()
            if name != "AUDIT_CHECKPOINT_DIR"
        },
        **{
            f"{n}. demo IBAN": str(
                IBAN.generate("DE", bank_code="37040044", account_code=f"{n:010d}")
            )
            for n in range(1, 30)
        },
        **{f"the email of user {n}": address for n, address in enumerate(emails)},
    }
    for mail in cluster["mailbox"].find("reviewer@example.com", "Password Reset"):
        link = re.search(
            r"/accounts/password/reset/key/(\S+)", mail.get_body(("plain",)).get_content()
        )
        secrets["a password-reset key"] = link.group(1).strip("/")
    leaks = [what for what, value in secrets.items() if value and value in log]
    assert leaks == [], leaks
    assert EMAIL.findall(log) == [] and IBAN_SHAPE.findall(log) == []
    print(
        f"FIGURE logs: {len(log.splitlines())} lines of 6 processes searched for {len(secrets)} secrets: 0 found"
    )


@pytest.mark.postgres
def test_the_audit_log_verifies_in_the_production_like_run(cluster):
    """The webs report the audit log as verifying once a beat's sequencer has sealed and
    checked it (a run's first seconds may come before that)."""
    prometheus = _prometheus(cluster)
    wait_until(
        lambda: _query(prometheus, 'tt_audit_ok{job="tt-web"} == 1'),
        timeout=60,
        what="the webs to report the audit log as verifying",
        alive=cluster["procs"].check_alive,
    )
