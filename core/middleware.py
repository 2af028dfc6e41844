"""What every request goes through: no cache keeps a signed-in person's pages; a refusal
that leaves a view becomes the page that says it."""

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from . import languages, timezones
from .errors import DomainError, NotAllowed


class LanguageMiddleware:
    """Each request in its language (`core.languages.chosen_language`); a page about a
    programme may still switch to the programme's (`use_programme_language`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language, request.language_source = languages.chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        # The next request on this thread (or the test after this one) starts from English.
        translation.deactivate()
        return response


class TimeZoneMiddleware:
    """Times on each page in the person's zone (`core.timezones.chosen_zone`), else UTC:
    Django's `|date` converts to the active zone and its `T` names it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = timezones.chosen_zone(request)
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        request.time_zone = zone or "UTC"
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class PrivateNoStoreMiddleware:
    """`Cache-Control: no-store` (Django's never-cache set) on every answer to a signed-in
    person: pages, API answers and downloads (statements, ledger and payout files, my data,
    the page that shows a new token once). A shared computer's back button or a proxy then
    has nothing to show the next person. Public pages for anonymous readers stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if "no-store" not in response.get("Cache-Control", ""):
                add_never_cache_headers(response)
        return response


class RefusalMiddleware:
    """Errors mapped once: a refusal that leaves a view becomes the page that says it.

    Services refuse with `core.errors.NotAllowed` (this person may not) or `DomainError`
    (the rules do not allow it), each with a sentence a person understands; their
    transaction rolls back, so nothing changed. A view that can show the refusal where
    the person acted does so with `core.forms.refusal_shown_on` (the form again, with the
    message under its field; or the page it redirects to, with the message on top). Any
    other refusal ends here, never as a 500:

    - `NotAllowed` → the 403 page with its reason;
    - `DomainError` → the 400 page with its message;
    - a visit to an address that only takes a form's submission → the 405 page, not a
      blank answer.

    Under /api/ the answer is the API's JSON error (the DRF views have their own handler,
    `api.errors`, which says the same). Staff who must set up two-factor first
    (`StaffMFARequired`) are sent to do so by `programs.middleware.StaffMFAMiddleware`,
    below this one in MIDDLEWARE, which sees the exception first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and _is_page(request):
            return _not_a_page(request, response)
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        refused = isinstance(exception, NotAllowed)
        status = 403 if refused else 400
        if request.path.startswith("/api/"):
            body = {"detail": exception.message, "code": exception.code, "field_errors": {}}
            return JsonResponse(body, status=status)
        if refused:
            return render(request, "403.html", {"reason": exception.message}, status=403)
        return render(request, "400.html", {"message": exception.message}, status=400)


def _is_page(request) -> bool:
    return request.method in ("GET", "HEAD") and not request.path.startswith("/api/")


def _not_a_page(request, refused):
    """A visit to an address that only takes a form (a reload after a refused form, a link
    copied from the address bar): a page that says so and leads to the page above it,
    never Django's blank 405."""
    parent = request.path.rstrip("/").rsplit("/", 1)[0] + "/"
    try:
        resolve(parent)
    except Resolver404:
        parent = None
    response = render(request, "405.html", {"parent": parent}, status=405)
    response["Allow"] = refused.get("Allow", "POST")
    return response
