"""Staff two-factor, enforced on the person: no signed-in path works until it is set up.

The policy already gives a person without two-factor no effective role
(`programs.policy.roles`), so no page, API call, download or form post can use a
staff role. This middleware makes that visible: a person with staff reach is sent to
set up two-factor (pages) or told so with a 403 (API) on every signed-in request,
except the few paths needed to set it up or to leave. It is an allow-list, so a new
URL is covered without anyone remembering to add it. API requests authenticated by a
token never reach a middleware as that person; the API's permission class asks the
same policy (`api.auth`).
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect, render

from . import policy

# Paths a person without two-factor still needs: the account pages (two-factor set-up,
# password, sign-out), public pages anyone can read, static files, and what machines read.
OPEN_PREFIXES = (
    "/accounts/",
    "/language/",  # the language menu: setting up two-factor is read in one's own language
    "/programmes/",
    "/verify/",
    "/audit/checkpoints/",
    "/static/",
    "/healthz",
    "/metrics",  # read with METRICS_TOKEN or from METRICS_ALLOWED_NETWORKS, not a session
    "/api/schema/",
    "/api/docs/",
)


class StaffMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if path != "/" and not path.startswith(OPEN_PREFIXES):
            if policy.needs_two_factor(getattr(request, "user", None)):
                return self._refuse(request, policy.StaffMFARequired())
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, policy.StaffMFARequired):
            return self._refuse(request, exception)
        return None

    @staticmethod
    def _refuse(request, error):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": error.message, "code": error.code, "field_errors": {}}, status=403
            )
        if request.method == "GET":
            messages.warning(request, error.message)
            return redirect("mfa_activate_totp")
        return render(request, "403.html", {"reason": error.message}, status=403)


class StaffIdleTimeoutMiddleware:
    """Staff sessions end after `STAFF_IDLE_MINUTES` without a request.

    A person with staff reach (any role, or a superuser) can decide outputs, move money and
    read everyone's records, so a forgotten signed-in tab must not stay open for the two
    weeks a participant's session lasts. The last request's time is kept in the session
    (written at most once a minute, so a busy reviewer does not rewrite it on every click);
    after the limit the person is signed out and the request goes on as anonymous (a page
    asks them to sign in again, the API answers 403).
    """

    KEY = "tt_staff_seen"
    WRITE_EVERY = 60

    @classmethod
    def signed_in(cls, sender, request, user, **kwargs):
        """At sign-in (allauth, admin, tests' force_login): start the clock with the session
        that is being written anyway, so the first page costs no extra session write."""
        if request is not None and hasattr(request, "session") and policy.has_staff_reach(user):
            request.session[cls.KEY] = int(time.time())
            request.session.set_expiry(settings.STAFF_IDLE_MINUTES * 60)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if policy.has_staff_reach(user):
            limit = settings.STAFF_IDLE_MINUTES * 60
            now = int(time.time())
            seen = request.session.get(self.KEY)
            if isinstance(seen, int) and now - seen > limit:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {settings.STAFF_IDLE_MINUTES} minutes without "
                    "activity (staff sessions end sooner). Sign in again to go on.",
                )
            elif not isinstance(seen, int) or now - seen >= self.WRITE_EVERY:
                request.session[self.KEY] = now
                request.session.set_expiry(limit)
        return self.get_response(request)
