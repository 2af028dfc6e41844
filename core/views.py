from allauth.account import views as allauth_views
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from core.pagination import keyset_page

from . import languages, timezones
from .forms import refusal_shown_on
from .models import OutboxMessage
from .services import language_set, time_zone_set


def home(request):
    if request.user.is_authenticated:
        return redirect("portal:home")
    return render(request, "core/home.html")


@login_required
def session_check(request):
    """Am I still signed in? A few bytes through the whole signed-in path (session, user,
    roles, staff two-factor and idle timeout): the check a monitor runs for sessions, and
    the floor the benchmark measures pages against."""
    return JsonResponse({"signed_in": True})


def _bad_request_message(exception) -> str:
    """Say what was wrong with a request Django refused before any view saw it."""
    if isinstance(exception, TooManyFilesSent):
        return (
            f"Too many files in one upload: send at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} "
            "files at a time. Nothing was saved."
        )
    if isinstance(exception, TooManyFieldsSent):
        return "The form sent too many fields. Nothing was saved."
    if isinstance(exception, RequestDataTooBig):
        return "The form sent more text than allowed. Nothing was saved."
    if isinstance(exception, BadRequest) and exception.args:
        return f"{exception.args[0]} Nothing was saved."
    return "The request could not be understood. Nothing was saved."


def bad_request(request, exception=None):
    """handler400: a message a person (or, under /api/, a client) can act on."""
    message = _bad_request_message(exception)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": message, "code": "bad_request", "field_errors": {}}, status=400
        )
    return render(request, "400.html", {"message": message}, status=400)


@require_POST
def set_language(request):
    """The language menu of every page: Django's own set_language (the cookie, back to the
    page), and for a signed-in person also their setting, kept for every device."""
    language = languages.supported(request.POST.get("language"))
    if language and request.user.is_authenticated:
        language_set(actor=request.user, language=language)
        request.session[languages.SESSION_KEY] = language
    return django_set_language(request)


@login_required
def time_zone(request):
    """The person's time zone for every page: one they choose, or blank for the browser's
    (the cookie `tz` that static/js/timezone.js sets)."""
    if request.method == "POST":
        chosen = request.POST.get("time_zone", "")
        with refusal_shown_on(request) as refused:
            row = time_zone_set(actor=request.user, time_zone=chosen)
        if not refused.error:
            if row.time_zone:
                request.session[timezones.SESSION_KEY] = row.time_zone
            else:
                request.session.pop(timezones.SESSION_KEY, None)
            messages.success(request, _("Your time zone is saved."))
        return redirect("account_time_zone")
    saved = timezones.saved_zone(request.user)
    browser = timezones.valid(request.COOKIES.get(timezones.COOKIE_NAME))
    context = {
        "names": sorted(timezones.names()),
        "saved": saved,
        "browser": browser,
        "shown": saved or browser or "UTC",
    }
    return render(request, "core/time_zone.html", context)


@login_required
def my_notifications(request):
    """Every notification sent or queued for me: the outbox is kept, not emptied."""
    qs = OutboxMessage.objects.mine(request.user)
    page = keyset_page(qs, request, key="created_at", descending=True, size=30)
    return render(request, "core/notifications.html", {"page": page})


class LoginView(allauth_views.LoginView):
    """allauth's log-in, answering 429 Too Many Requests once its failed-login limit is hit.

    allauth shows the limit as a form error with status 200; clients, proxies and
    monitoring need the status code too.
    """

    def form_invalid(self, form):
        codes = {e.code for errors in form.errors.as_data().values() for e in errors}
        locked = "too_many_login_attempts" in codes
        if locked:
            # A locked account lets its owner in with the password and the authenticator's
            # code together (core.adapters); the page is the same for every locked account.
            form.fields["code"] = forms.CharField(
                label="Code from your authenticator app (if you set up two-factor)",
                required=False,
                max_length=12,
                # Never echoed back: a code is a secret too.
                widget=forms.PasswordInput(
                    attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}
                ),
            )
        response = super().form_invalid(form)
        if locked:
            response.status_code = 429
        return response
