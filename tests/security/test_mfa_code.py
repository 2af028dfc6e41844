"""The emailed code that guards setting up two-factor holds under parallel tries.

Before: its five tries were counted in the session, so 20 tries sent at once each read
"0 tries" and all were checked; every "too many" answer mailed a new code (the owner's
inbox could be flooded). Now each try is one atomic increment in the cache the rate
limits use (per person, not per session), and a new code is mailed at most once per ten
minutes.
"""

import re
import threading

import pytest
from django.core import mail
from django.test import Client

from core import mfa
from core.models import OutboxMessage
from tests.conftest import summarise

TALLY = {"tried": 0, "checked": 0}


@pytest.fixture
def staff(settings, reviewer):
    settings.REQUIRE_STAFF_MFA = True
    return reviewer


def _codes_mailed(user) -> int:
    return OutboxMessage.objects.filter(
        recipient=user, subject="Your code to set up two-factor authentication"
    ).count()


def _counting(monkeypatch):
    """Count every comparison of a code (`hmac.compare_digest` as `core.mfa` sees it)."""
    import hmac
    from types import SimpleNamespace

    checks, lock = [], threading.Lock()

    def counted(a, b):
        with lock:
            checks.append(1)
        return hmac.compare_digest(a, b)

    monkeypatch.setattr(mfa, "hmac", SimpleNamespace(compare_digest=counted))
    return checks


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_tries_get_at_most_five_checks(staff, monkeypatch):
    _parallel_tries(staff, monkeypatch)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_tries_counted_by_redis_get_at_most_five_checks(
    staff, monkeypatch, settings
):
    assert settings.REDIS_URL, "the PostgreSQL pass runs with Redis"
    from django.core.cache import cache

    cache.clear()
    _parallel_tries(staff, monkeypatch)


def _parallel_tries(staff, monkeypatch):
    client = Client()
    client.force_login(staff)
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    assert _codes_mailed(staff) == 1
    checks = _counting(monkeypatch)
    cookie = client.cookies["sessionid"].value
    statuses, barrier = [], threading.Barrier(20)

    def one(i):
        from django.db import connection

        other = Client()
        other.cookies["sessionid"] = cookie  # the same session, as a browser's parallel tabs
        barrier.wait()
        try:
            response = other.post("/accounts/2fa/totp/activate/", {"email_code": f"{i:06d}"})
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 20 and set(statuses) == {400}, statuses
    assert len(checks) <= mfa.MAX_TRIES, len(checks)
    # The code's tries are spent; the "too many" answers mailed no flood of new codes.
    assert _codes_mailed(staff) == 1
    TALLY["tried"] += 20
    TALLY["checked"] += len(checks)


def test_tries_are_counted_per_person_not_per_session(staff, client, monkeypatch):
    client.force_login(staff)
    client.get("/accounts/2fa/totp/activate/")
    code = re.search(r"Your code is (\d{6})", OutboxMessage.objects.get().body).group(1)
    checks = _counting(monkeypatch)
    other = Client()
    other.force_login(staff)
    for browser in (client, other, client, other, client):
        wrong = browser.post("/accounts/2fa/totp/activate/", {"email_code": "000000"})
        assert b"not right" in wrong.content
    # A sixth try, even the right code and from a new session, is not checked.
    third = Client()
    third.force_login(staff)
    spent = third.post("/accounts/2fa/totp/activate/", {"email_code": code})
    assert spent.status_code == 400 and b"Too many wrong codes" in spent.content
    assert b"ask again in" in spent.content  # no new code so soon
    assert len(checks) == 5 and _codes_mailed(staff) == 1
    TALLY["tried"] += 6
    TALLY["checked"] += len(checks)


def test_a_new_code_is_mailed_at_most_once_per_ten_minutes(
    staff, client, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(10):
            client.get("/accounts/2fa/totp/activate/?resend=1")
    assert _codes_mailed(staff) == 1 and len(mail.outbox) == 1
    page = client.get("/accounts/2fa/totp/activate/?resend=1")
    assert b"We sent a code less than 10 minutes ago" in page.content
    TALLY["tried"] += 10


def test_the_right_code_still_works(staff, client):
    client.force_login(staff)
    client.get("/accounts/2fa/totp/activate/")
    code = re.search(r"Your code is (\d{6})", OutboxMessage.objects.get().body).group(1)
    client.post("/accounts/2fa/totp/activate/", {"email_code": "111111"})
    right = client.post("/accounts/2fa/totp/activate/", {"email_code": code})
    assert right.status_code == 302


def test_mfa_code_figure():
    summarise(inputs=TALLY["tried"])
    print(
        f"\nFIGURE set-up code: {TALLY['tried']} tries (20 at once, across sessions, resends), "
        f"{TALLY['checked']} checked (at most 5 per code), 1 code mailed per 10 minutes"
    )
