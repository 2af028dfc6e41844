"""Counting what the rate limits refuse, wherever they refuse it (allauth's log-in limits,
the API's token throttle, the similar-tickets search): every 429 answer is one."""

from .metrics import RATE_LIMIT_REFUSALS


class RateLimitRefusalsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 429:
            match = getattr(request, "resolver_match", None)
            RATE_LIMIT_REFUSALS.labels(view=match.view_name if match else "<unresolved>").inc()
        return response
