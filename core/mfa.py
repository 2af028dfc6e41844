"""Setting up two-factor needs more than the password: a code sent to the person's email.

Staff without two-factor are held at the set-up page (`programs.middleware`). If
setting it up needed only the password, whoever stole a reviewer's password could add
their own authenticator and pass. allauth already asks for the password again
(reauthentication); before its set-up page we also ask for a one-time code mailed to
the account's verified address, so a stolen password alone is not enough. The code is
kept hashed in the session, lives ten minutes and allows five tries.
"""

import hashlib
import hmac
import secrets
import time

from allauth.mfa.totp.views import activate_totp as allauth_activate_totp
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .services import notify

CODE_SECONDS = 600
PASS_SECONDS = 900
MAX_TRIES = 5
_CODE = "tt_mfa_code"
_PASSED = "tt_mfa_inbox_ok_until"


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _send_code(request) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    request.session[_CODE] = {
        "hash": _digest(code),
        "until": time.time() + CODE_SECONDS,
        "tries": 0,
    }
    notify(
        user=request.user,
        subject="Your code to set up two-factor authentication",
        body=(
            f"Your code is {code}. It is valid for 10 minutes.\n\n"
            "Someone (you, we hope) is adding an authenticator app to your Terms & Testers "
            "account. If it was not you, change your password now and tell your programme."
        ),
        dedupe_key=f"mfa-code:{request.user.pk}:{secrets.token_hex(8)}",
    )


@login_required
def activate_totp(request):
    """Prove the inbox, then allauth's own set-up (which asks for the password again)."""
    if request.session.get(_PASSED, 0) > time.time():
        return allauth_activate_totp(request)
    pending = request.session.get(_CODE)
    error = ""
    if request.method == "POST" and "email_code" in request.POST:
        code = request.POST.get("email_code", "").strip()
        if not pending or pending["until"] < time.time():
            error = "That code has expired. We have sent you a new one."
            _send_code(request)
        elif pending["tries"] >= MAX_TRIES:
            error = "Too many wrong codes. We have sent you a new one."
            _send_code(request)
        elif hmac.compare_digest(pending["hash"], _digest(code)):
            del request.session[_CODE]
            request.session[_PASSED] = time.time() + PASS_SECONDS
            return redirect("mfa_activate_totp")
        else:
            pending["tries"] += 1
            request.session[_CODE] = pending
            error = "That code is not right. Check the latest email we sent."
    elif not pending or pending["until"] < time.time() or request.GET.get("resend"):
        _send_code(request)
    return render(
        request,
        "core/mfa_email_code.html",
        {"email": request.user.email, "error": error},
        status=400 if error else 200,
    )
