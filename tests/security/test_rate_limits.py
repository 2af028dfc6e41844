"""Rate limits that hold: keyed on the real peer (X-Forwarded-For only from the operator's
own proxies), counted atomically (parallel requests cannot all pass), and a log-in lock-out
that cannot keep a person with two-factor out of their own account.

Figure: rate-limit bypasses tried, and how many got through (must be 0).
"""

import threading

import pytest
from allauth.core.internal import ratelimit as allauth_ratelimit
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from rest_framework.test import APIClient

from api.services import token_create
from core import ratelimit
from tests.conftest import summarise
from tests.factories import UserFactory

TALLY = {"tried": 0, "through": 0}
START = 1_800_000_000.0  # a fixed moment at the start of a minute


@pytest.fixture
def api_rate(monkeypatch):
    """A small API rate, in a window that does not tick over during the test."""
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(ratelimit, "_now", lambda: START + 1)

    def set_rate(rate):
        monkeypatch.setattr(
            SimpleRateThrottle,
            "THROTTLE_RATES",
            {**api_settings.DEFAULT_THROTTLE_RATES, "token": rate},
        )

    return set_rate


def _anonymous(remote, forwarded=None):
    client = APIClient(REMOTE_ADDR=remote)
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return client.get("/api/v1/programmes/", **extra).status_code


def test_a_rotating_x_forwarded_for_gets_no_new_budget(programme, api_rate):
    api_rate("5/min")
    codes = [_anonymous("203.0.113.5", f"198.51.100.{i}") for i in range(30)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}, codes
    TALLY["tried"] += 25
    TALLY["through"] += codes[5:].count(200)
    assert _anonymous("203.0.113.6") == 200  # another peer has its own budget


def test_behind_the_operators_proxy_the_client_is_the_address_the_proxy_saw(
    programme, api_rate, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    api_rate("5/min")
    # The client invents the left part; the operator's proxy appends the real peer.
    codes = [_anonymous("10.0.0.2", f"1.2.3.{i}, 198.51.100.7") for i in range(20)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}, codes
    TALLY["tried"] += 15
    TALLY["through"] += codes[5:].count(200)
    assert _anonymous("10.0.0.2", "198.51.100.8") == 200  # another client behind the proxy
    # A peer that is not the operator's proxy cannot claim to be one's client.
    codes = [_anonymous("203.0.113.9", f"198.51.100.{i}") for i in range(10)]
    assert codes.count(200) == 5
    TALLY["tried"] += 5
    TALLY["through"] += codes[5:].count(200)


def _parallel_requests_from_one_token(n_requests, limit):
    user = UserFactory(email="busy@example.com")
    _, plain = token_create(actor=user, name="busy", scope="read")
    codes, barrier = [], threading.Barrier(n_requests)

    def one():
        from django.db import connection

        client = APIClient(HTTP_AUTHORIZATION=f"Bearer {plain}")
        barrier.wait()
        try:
            codes.append(client.get("/api/v1/programmes/").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(n_requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def _check_parallel(api_rate, n_requests=24, limit=6):
    api_rate(f"{limit}/min")
    codes = _parallel_requests_from_one_token(n_requests, limit)
    assert len(codes) == n_requests
    assert codes.count(200) == limit and codes.count(429) == n_requests - limit, codes
    TALLY["tried"] += n_requests - limit
    TALLY["through"] += codes.count(200) - limit


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_from_one_token_cannot_all_pass_the_limit(programme, api_rate):
    _check_parallel(api_rate)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_requests_counted_by_redis_incr(programme, api_rate, settings):
    assert settings.REDIS_URL, "the PostgreSQL pass runs with Redis"
    from django.core.cache import cache

    cache.clear()
    _check_parallel(api_rate, n_requests=40, limit=10)


def _log_in(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def _lock(client, email, addresses):
    """Push one account past its per-account limit from many addresses."""
    for i, address in enumerate(addresses):
        client.defaults["REMOTE_ADDR"] = address
        _log_in(client, email, f"wrong-{i}")


def test_an_account_locked_from_elsewhere_still_lets_its_owner_in_with_two_factor(
    client, reviewer, settings
):
    settings.REQUIRE_STAFF_MFA = True
    secret = generate_totp_secret()
    TOTP.activate(reviewer, secret)
    _lock(client, reviewer.email, [f"198.51.100.{i}" for i in range(8)])
    # Guessers from anywhere are refused, wrong password or right one without the code,
    # with the same answer (issue 29: the right password used to get a 302 to the code).
    client.defaults["REMOTE_ADDR"] = "198.51.100.99"
    wrong = _log_in(client, reviewer.email, "still-wrong")
    right = _log_in(client, reviewer.email, "demo-pass-2024")
    assert wrong.status_code == right.status_code == 429
    assert _visible(wrong) == _visible(right)
    TALLY["tried"] += 2
    # The owner, somewhere else, gives the right password and the code together: signed in.
    owner = client.__class__(REMOTE_ADDR="203.0.113.77")
    locked = _log_in(owner, reviewer.email, "demo-pass-2024")
    assert locked.status_code == 429 and 'name="code"' in locked.content.decode()
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    response = owner.post(
        "/accounts/login/",
        {"login": reviewer.email, "password": "demo-pass-2024", "code": code},
    )
    assert response.status_code == 302 and "/accounts/2fa/" not in response["Location"]
    assert owner.get("/review/").status_code == 200
    # A code with a wrong password gets the same answer as everything else.
    stranger = client.__class__(REMOTE_ADDR="203.0.113.80")
    guess = stranger.post(
        "/accounts/login/", {"login": reviewer.email, "password": "nope-nope", "code": code}
    )
    assert guess.status_code == 429 and _visible(guess) == _visible(wrong)
    TALLY["tried"] += 1


def _visible(response) -> str:
    """The page a guesser reads, without the per-request CSRF token."""
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_an_account_without_two_factor_is_locked_the_same_for_right_and_wrong_passwords(
    client, participant
):
    _lock(client, participant.email, [f"198.51.100.{i}" for i in range(8)])
    owner = client.__class__(REMOTE_ADDR="203.0.113.78")
    right = _log_in(owner, participant.email, "demo-pass-2024")
    wrong = _log_in(owner, participant.email, "not-it-either")
    assert right.status_code == wrong.status_code == 429
    assert right.content.count(b"Forgot your password") == wrong.content.count(
        b"Forgot your password"
    )
    assert "the link we email you lifts the lock" in right.content.decode()
    TALLY["tried"] += 2
    assert owner.get("/portal/").status_code == 302  # not signed in


def test_the_per_address_limit_still_stops_one_address_guessing(client, reviewer):
    TOTP.activate(reviewer, generate_totp_secret())
    client.defaults["REMOTE_ADDR"] = "203.0.113.50"
    codes = [_log_in(client, reviewer.email, f"guess-{i}").status_code for i in range(12)]
    assert codes[-2:] == [429, 429]
    # Past the per-address limit even the right password waits.
    assert _log_in(client, reviewer.email, "demo-pass-2024").status_code == 429
    TALLY["tried"] += 3


def test_a_password_reset_lifts_the_lock(client, participant, django_capture_on_commit_callbacks):
    import re

    from django.core import mail

    _lock(client, participant.email, [f"198.51.100.{i}" for i in range(8)])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": participant.email})
    link = re.search(r"http://[^\s]+/accounts/password/reset/key/[^\s]+", mail.outbox[-1].body)
    page = client.get(link.group(0).split("8000", 1)[-1], follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link.group(0)
    client.post(form_url, {"password1": "a-new-long-phrase", "password2": "a-new-long-phrase"})
    owner = client.__class__(REMOTE_ADDR="203.0.113.79")
    assert _log_in(owner, participant.email, "a-new-long-phrase").status_code == 302


def test_allauth_rate_limits_read_the_same_client_address(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.post("/accounts/login/", REMOTE_ADDR="10.1.1.1")
    request.META["HTTP_X_FORWARDED_FOR"] = "6.6.6.6, 198.51.100.20, 10.0.0.3"
    assert allauth_ratelimit.get_ip(request) == "198.51.100.20"
    request.META["REMOTE_ADDR"] = "203.0.113.1"
    assert allauth_ratelimit.get_ip(request) == "203.0.113.1"


def test_rate_limit_figure():
    summarise(inputs=TALLY["tried"])
    print(
        f"\nFIGURE rate limits: {TALLY['tried']} bypasses tried (rotating X-Forwarded-For, "
        f"forged proxy chains, parallel requests on one token, guesses on a locked account), "
        f"{TALLY['through']} got through"
    )
    assert TALLY["through"] == 0
