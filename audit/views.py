from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render

from core.pagination import keyset_page

from . import checkpoints, keys
from .models import AuditEvent
from .selectors import event_in_chain


@login_required
def my_events(request):
    """The audit events about the signed-in person, each checked against the chain."""
    qs = AuditEvent.objects.mine(request.user).select_related("actor", "programme")
    page = keyset_page(qs, request, key="seq", descending=True, size=50)
    rows = [(e, event_in_chain(e)) for e in page.items] if request.GET.get("check") else None
    return render(request, "audit/my_events.html", {"page": page, "checked_rows": rows})


def public_checkpoints(request):
    """Public: the newest signed checkpoints of the audit chain and the keys that verify them.

    Anyone may copy them; a copy kept elsewhere is what makes cutting the log back visible.
    """
    context = {"checkpoints": checkpoints.recent(20), "public_keys": keys.published_keys()}
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "checkpoints": [c.as_dict() for c in context["checkpoints"]],
                "public_keys": [
                    {"key_id": k.key_id, "ed25519_public_key": k.public, "current": k.current}
                    for k in context["public_keys"]
                ],
            }
        )
    return render(request, "audit/checkpoints.html", context)
