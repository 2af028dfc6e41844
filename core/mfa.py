"""Setting up two-factor needs more than the password: a code sent to the person's email.

Staff without two-factor are held at the set-up page (`programs.middleware`). If
setting it up needed only the password, whoever stole a reviewer's password could add
their own authenticator and pass. allauth already asks for the password again
(reauthentication); before its set-up page we also ask for a one-time code mailed to
the account's trusted address (`core.accounts.trusted_address`: not an address added or
made primary in the last 24 hours), so a stolen password alone is not enough.

The code lives ten minutes and allows five tries, counted by one atomic increment in the
cache the rate limits use (`core.ratelimit.count`): twenty tries sent at once get five
checks, not twenty. It is kept per person, not per session, so opening more sessions
gains no tries; and a fresh code is mailed at most once every ten minutes, so "too many
tries" cannot be used to flood the owner's inbox.
"""

import hashlib
import hmac
import secrets
import time

from allauth.mfa.totp.views import activate_totp as allauth_activate_totp
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import redirect, render

from . import ratelimit
from .accounts import trusted_address
from .services import notify

CODE_SECONDS = 600
RESEND_SECONDS = 600
PASS_SECONDS = 900
MAX_TRIES = 5
_PASSED = "tt_mfa_inbox_ok_until"


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _code_key(user) -> str:
    return f"mfa-code:{user.pk}"


def _pending(user) -> dict | None:
    pending = cache.get(_code_key(user))
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None
    return pending


def _send_code(user) -> float | None:
    """Mail a fresh code, unless one was mailed less than `RESEND_SECONDS` ago; returns
    None when sent, else when the next one may be sent (epoch seconds)."""
    now = time.time()
    if not cache.add(f"mfa-code-sent:{user.pk}", now, timeout=RESEND_SECONDS):
        sent_at = cache.get(f"mfa-code-sent:{user.pk}")
        return (sent_at if isinstance(sent_at, float) else now) + RESEND_SECONDS
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(
        _code_key(user),
        {"hash": _digest(code), "nonce": secrets.token_hex(8), "until": now + CODE_SECONDS},
        timeout=CODE_SECONDS,
    )
    notify(
        user=user,
        email=trusted_address(user),
        subject="Your code to set up two-factor authentication",
        body=(
            f"Your code is {code}. It is valid for 10 minutes.\n\n"
            "Someone (you, we hope) is adding an authenticator app to your Terms & Testers "
            "account. If it was not you, change your password now and tell your programme."
        ),
        dedupe_key=f"mfa-code:{user.pk}:{secrets.token_hex(8)}",
    )
    return None


def _matches(pending: dict, code: str) -> bool:
    """The one place a code is compared (tests count the checks here)."""
    return hmac.compare_digest(pending["hash"], _digest(code))


def _check(user, code: str) -> str:
    """ "ok", "wrong", "expired" or "spent" (its tries used up), counting the try first."""
    pending = _pending(user)
    if pending is None:
        return "expired"
    tries = ratelimit.count(f"mfa-code-tries:{pending['nonce']}", ttl=CODE_SECONDS + 60)
    if tries > MAX_TRIES:
        return "spent"
    if _matches(pending, code):
        cache.delete(_code_key(user))
        return "ok"
    return "wrong"


def _later(next_at: float | None) -> str:
    if next_at is None:
        return " We have sent you a new one."
    minutes = max(1, round((next_at - time.time()) / 60))
    return f" A new code can be sent once every 10 minutes: ask again in {minutes} min."


@login_required
def activate_totp(request):
    """Prove the inbox, then allauth's own set-up (which asks for the password again)."""
    if request.session.get(_PASSED, 0) > time.time():
        return allauth_activate_totp(request)
    user = request.user
    error = ""
    if request.method == "POST" and "email_code" in request.POST:
        outcome = _check(user, request.POST.get("email_code", "").strip()[:12])
        if outcome == "ok":
            request.session[_PASSED] = time.time() + PASS_SECONDS
            return redirect("mfa_activate_totp")
        if outcome == "wrong":
            error = "That code is not right. Check the latest email we sent."
        elif outcome == "spent":
            error = "Too many wrong codes for this one." + _later(_send_code(user))
        else:
            error = "That code has expired." + _later(_send_code(user))
    elif _pending(user) is None or request.GET.get("resend"):
        next_at = _send_code(user)
        if next_at is not None and request.GET.get("resend"):
            error = "We sent a code less than 10 minutes ago." + _later(next_at)
    return render(
        request,
        "core/mfa_email_code.html",
        {"email": trusted_address(user), "error": error},
        status=400 if error else 200,
    )
