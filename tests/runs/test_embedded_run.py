"""`make run` as a new user starts it: scheduled work happens with nobody acting.

The real `scripts/run.sh` (migrate, demo data, honcho with web + Celery worker + beat on the
filesystem broker) runs on its own SQLite file, port and broker folder. Beat ticks every few
seconds here (BEAT_EVERY_SECONDS) instead of minutes; everything else is `make run`.
"""

import re
import tempfile
import time
from pathlib import Path

import pytest

from .processes import PY, ROOT, Processes, clean_env, free_port, wait_http

pytestmark = pytest.mark.browser

DEADLINE_SECONDS = 60


def _deemed_figure(page, base) -> int:
    page.goto(f"{base}/programmes/fair-beta/")
    term = page.locator("dt", has_text="Deemed approved (deadline missed)").first
    return int(re.sub(r"\D", "", term.locator("xpath=following-sibling::dd[1]").inner_text()))


def test_an_output_past_its_deadline_is_deemed_approved_in_the_embedded_run(page):
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="tt-embedded-", dir=ROOT / "var"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = clean_env(
        PORT=port,
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        MEDIA_ROOT=tmp / "media",
        CELERY_BROKER_DIR=tmp / "broker",
        CELERY_BEAT_SCHEDULE_FILENAME=tmp / "beat-schedule",
        # Checkpoints of its own: another database's in var/ would (rightly) refuse this log.
        AUDIT_CHECKPOINT_DIR=tmp / "audit-checkpoints",
        BEAT_EVERY_SECONDS=5,
    )
    procs = Processes(tmp)
    try:
        procs.start("make-run", ["bash", "scripts/run.sh"], env)
        wait_http(f"{base}/", timeout=180, alive=procs.check_alive)
        assert "Demo data is ready" in procs.log("make-run")
        assert f"Serving on {base}/" in procs.log("make-run")

        # An unknown address shows the product's own 404 page, never Django's debug page
        # (which lists every route); the style sheets are still served.
        missing = page.goto(f"{base}/no-such-page/")
        assert missing.status == 404
        assert "Page not found" in page.inner_text("main")
        assert "URLconf" not in page.content() and "DEBUG = True" not in page.content()
        css = page.locator("link[rel=stylesheet]").first.get_attribute("href")
        assert page.request.get(f"{base}{css}").ok, css

        # The participant submits an output for public sharing on the fair terms (72 h,
        # then deemed approved); the public figure is read before.
        before = _deemed_figure(page, base)
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=login]", "participant@example.com")
        page.fill("input[name=password]", "demo-pass-2024")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/portal/")
        page.goto(f"{base}/outputs/new/?programme=fair-beta")
        page.fill("input[name=title]", "A minute to decide")
        page.fill("input[name=url]", "https://media.example.org/a-minute.mp4")
        page.select_option("select[name=intended_use]", "social")
        page.click("form.card button[type=submit]")
        page.wait_for_url(re.compile(r".*/outputs/\d+/$"))
        pk = int(page.url.rstrip("/").rsplit("/", 1)[-1])
        procs.run(
            "clock", [PY, "-m", "tests.runs.embedded_clock", str(pk), str(DEADLINE_SECONDS)], env
        )
        page.reload()
        assert "after that it is deemed approved" in page.content()
        assert "Deemed approved" not in page.inner_text("main")

        # Nobody acts. Beat's sweep deems it approved once the minute has passed.
        submitted = time.monotonic()
        deadline = submitted + DEADLINE_SECONDS + 60
        while time.monotonic() < deadline:
            procs.check_alive()
            page.reload()
            if "Deemed approved" in page.inner_text("main"):
                break
            time.sleep(3)
        else:
            raise AssertionError(
                "The output was not deemed approved within a minute of its deadline"
            )
        waited = time.monotonic() - submitted
        assert waited >= DEADLINE_SECONDS - 5, "deemed approved before its deadline"

        # Its proof page, for anyone with the link.
        proof = page.locator("a[href*='/verify/']").first.get_attribute("href")
        page.context.clear_cookies()
        page.goto(f"{base}{proof}")
        proof_text = page.inner_text("main")
        assert "Proof of permission" in proof_text
        assert "Deemed approved for sharing" in proof_text and "Fair Creative Beta" in proof_text

        # The participant is told (in the product and by email, printed by the worker).
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=login]", "participant@example.com")
        page.fill("input[name=password]", "demo-pass-2024")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/portal/")
        page.goto(f"{base}/notifications/")
        assert "“A minute to decide” is deemed approved" in page.inner_text("main")
        output_log = procs.log("make-run")
        assert "worker.1" in output_log and "is deemed approved" in output_log
        # Links in the mail use the port the run serves on.
        assert f"{base}/outputs/{pk}/" in output_log
        assert "http://127.0.0.1:8000/" not in output_log

        # The public figures move (beat refreshes them too).
        deadline = time.monotonic() + 60
        while _deemed_figure(page, base) != before + 1:
            assert time.monotonic() < deadline, "the public figure of deemed approvals did not move"
            procs.check_alive()
            time.sleep(3)
    finally:
        procs.stop_all()
    took = time.monotonic() - started
    print(
        f"FIGURE embedded run (make run): deemed approved {waited:.0f} s after submission "
        f"with a {DEADLINE_SECONDS} s deadline and beat every 5 s; whole test {took:.0f} s"
    )
