"""Response headers every page gets: nothing a signed-in person sees is kept by a cache."""

from django.utils.cache import add_never_cache_headers


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
