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

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render

from . import policy

# Paths a person without two-factor still needs: the account pages (two-factor set-up,
# password, sign-out), public pages anyone can read, and static files.
OPEN_PREFIXES = (
    "/accounts/",
    "/programmes/",
    "/verify/",
    "/audit/checkpoints/",
    "/static/",
    "/healthz",
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
