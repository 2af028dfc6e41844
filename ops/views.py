"""The operator's endpoints: /healthz, /healthz/ready, /metrics."""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from core.clientip import client_ip

from . import access, health, metrics


def _answer(checks) -> JsonResponse:
    failing = [name for name, check in checks.items() if not check.ok]
    body = {
        "ok": not failing,
        "failing": failing,
        "checks": {name: check.as_dict() for name, check in checks.items()},
    }
    return JsonResponse(body, status=503 if failing else 200)


def _allowed(request) -> bool:
    return access.allowed(
        authorization=request.headers.get("Authorization", ""), address=client_ip(request)
    )


def _refused() -> JsonResponse:
    response = JsonResponse({"detail": access.REFUSAL}, status=403)
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@never_cache
def healthz(request):
    """For a load balancer: the database answers and the audit log is not refused (503
    naming the failing part otherwise). Open to all: it says no more than ok or not."""
    return _answer(health.cheap())


@never_cache
def ready(request):
    """For monitoring: every part, each named with what is wrong (503 when any fails).
    Behind the metrics' token or networks: it names internals and pings every worker."""
    if not _allowed(request):
        return _refused()
    return _answer(health.deep())


@never_cache
def metrics_view(request):
    if not _allowed(request):
        return _refused()
    return HttpResponse(metrics.exposition(domain=True), content_type=CONTENT_TYPE_LATEST)
