"""Staff must use two-factor authentication when REQUIRE_STAFF_MFA is on."""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect

STAFF_PREFIXES = (
    "/review/",
    "/finance/",
    "/staff/",
    "/admin/",
    "/tickets/triage/",
    "/tickets/hours/queue/",
    "/hours/queue/",
)


class StaffMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.REQUIRE_STAFF_MFA
            and request.path.startswith(STAFF_PREFIXES)
            and request.user.is_authenticated
            and not Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.TOTP
            ).exists()
        ):
            messages.warning(
                request, "Staff pages need two-factor authentication. Set up an authenticator app."
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
