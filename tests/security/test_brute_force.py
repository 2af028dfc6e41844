"""Password guessing: allauth's limits answer 429, and the admin log-in has no way around them.

`/admin/login/` is wrapped by allauth's `secure_admin_login` (config/urls.py): it never
checks a password itself, it sends everyone to `/accounts/login/?next=/admin/…`, which
counts failures per address and per account (`LOGIN_FAILED_RATE`, default `10/m/ip,
5/5m/key`). So the admin is locked out like everyone else, and the lock lifts when the
window has passed (the cool-off). Time is moved on by patching the clock allauth reads.

Figure: guesses tried, guesses that got past the limit (must be 0).
"""

import time

import pytest
from allauth.core.internal import ratelimit

from tests.conftest import summarise
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TALLY = {"tried": 0, "got_through": 0}


class _LaterClock:
    """The real clock, `offset` seconds later (only inside allauth's rate limiter)."""

    def __init__(self, offset):
        self.offset = offset

    def time(self):
        return time.time() + self.offset

    def monotonic(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(seconds)


def _guess(client, login, password, next_url=""):
    TALLY["tried"] += 1
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": login, "password": password})


def test_guessing_one_accounts_password_is_stopped_with_429_then_the_cool_off_ends(
    client, monkeypatch
):
    UserFactory(email="victim@example.com")
    client.defaults["REMOTE_ADDR"] = "203.0.113.10"
    codes = [_guess(client, "victim@example.com", f"guess-{i}").status_code for i in range(12)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}, codes
    # The right password waits out the window as well: the attacker learns nothing.
    assert _guess(client, "victim@example.com", "demo-pass-2024").status_code == 429
    TALLY["got_through"] += sum(c not in (200, 429) for c in codes)
    # Five minutes later the owner gets in.
    monkeypatch.setattr(ratelimit, "time", _LaterClock(301))
    response = _guess(client, "victim@example.com", "demo-pass-2024")
    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200


def test_guessing_many_accounts_from_one_address_is_stopped_with_429(client):
    client.defaults["REMOTE_ADDR"] = "203.0.113.11"
    for i in range(12):
        UserFactory(email=f"spray{i}@example.com")
    codes = [_guess(client, f"spray{i}@example.com", "Summer2024!").status_code for i in range(12)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429], codes


def test_the_admin_log_in_checks_no_password_itself_and_locks_out_with_a_cool_off(
    client, monkeypatch, settings
):
    settings.REQUIRE_STAFF_MFA = False
    UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    client.defaults["REMOTE_ADDR"] = "203.0.113.12"
    # Posting straight to Django admin's form authenticates nobody, right password or not.
    for password in ["wrong", "demo-pass-2024"]:
        TALLY["tried"] += 1
        response = client.post(
            "/admin/login/?next=/admin/", {"username": "root@example.com", "password": password}
        )
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        if client.get("/admin/").status_code == 200:
            TALLY["got_through"] += 1
    # Guessing through the log-in it is sent to: 429 after five failures…
    codes = [
        _guess(client, "root@example.com", f"admin-{i}", next_url="/admin/").status_code
        for i in range(8)
    ]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}, codes
    right = _guess(client, "root@example.com", "demo-pass-2024", next_url="/admin/")
    assert right.status_code == 429
    assert client.get("/admin/").status_code == 302  # still not signed in
    # …until the window has passed; then the right password opens the admin.
    monkeypatch.setattr(ratelimit, "time", _LaterClock(301))
    response = _guess(client, "root@example.com", "demo-pass-2024", next_url="/admin/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_brute_force_figure():
    summarise(inputs=TALLY["tried"])
    print(
        f"\nFIGURE brute force: {TALLY['tried']} password guesses (accounts, spraying, admin), "
        f"{TALLY['got_through']} got past the limits"
    )
    assert TALLY["got_through"] == 0
