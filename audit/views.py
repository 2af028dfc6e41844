import json

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core.pagination import keyset_page

from . import checkpoints, merkle, receipts, services
from .models import AuditCosignature, AuditEvent
from .selectors import consistency, inclusion_proof
from .tree import TreeBroken

BROKEN = "The audit log does not verify here, so no proof is served:"


@login_required
def my_events(request):
    """The audit events about the signed-in person, each linked to its inclusion proof."""
    qs = AuditEvent.objects.mine(request.user).select_related("actor", "programme")
    page = keyset_page(qs, request, key="id", descending=True, size=50)
    return render(request, "audit/my_events.html", {"page": page})


def _visible_event(request, pk) -> AuditEvent:
    return get_object_or_404(AuditEvent.objects.mine(request.user), pk=pk)


@login_required
def proof(request, pk):
    """An event's inclusion proof: a page that checks it in the browser, and the JSON document
    itself (`?format=json`, a stable URL), once the event is sealed under a checkpoint."""
    event = _visible_event(request, pk)
    try:
        doc, broken = inclusion_proof(event), ""
    except TreeBroken as exc:  # the stored tree lost or changed a node
        doc, broken = None, f"{BROKEN} {exc}."
    if request.GET.get("format") == "json":
        if broken:
            return JsonResponse(
                {"event": event.pk, "verifies": False, "detail": broken}, status=503
            )
        if doc is None:
            return JsonResponse(
                {"event": event.pk, "sealed": False, "detail": "not yet sealed under a checkpoint"},
                status=404,
            )
        return JsonResponse(doc)
    return render(
        request,
        "audit/proof.html",
        {"event": event, "doc": doc, "broken": broken, "receipt": receipts.receipt_for(event)},
        status=503 if broken else 200,
    )


@login_required
def receipt(request, pk):
    """The signed receipt of one of the person's events, as a file to keep."""
    event = _visible_event(request, pk)
    response = JsonResponse(receipts.receipt_for(event))
    response["Content-Disposition"] = f'attachment; filename="audit-receipt-{event.pk}.json"'
    return response


@require_GET
def public_checkpoints(request):
    """Public: the newest signed checkpoints, their cosignatures and the keys that verify them.

    Anyone may copy them; a copy kept elsewhere is what makes cutting the log back visible.
    """
    recent = checkpoints.recent(20)
    cosigned: dict[int, list[str]] = {}
    for size, line in AuditCosignature.objects.filter(
        size__in=[c.size for c in recent]
    ).values_list("size", "line"):
        cosigned.setdefault(size, []).append(line)
    verifier_keys = checkpoints.verifier_keys()
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "origin": checkpoints.origin(),
                "checkpoints": [
                    {
                        "size": c.size,
                        "root": c.root,
                        "signed_at": c.signed_at.isoformat(),
                        "checkpoint": c.note,
                        "cosignatures": cosigned.get(c.size, []),
                    }
                    for c in recent
                ],
                "verifier_keys": verifier_keys,
            }
        )
    rows = [(c, cosigned.get(c.size, [])) for c in recent]
    return render(
        request,
        "audit/checkpoints.html",
        {"rows": rows, "verifier_keys": verifier_keys, "origin": checkpoints.origin()},
    )


@require_GET
def consistency_proof(request):
    """Public: an RFC 9162 consistency proof between two sizes the tree has reached."""
    try:
        first, second = int(request.GET["from"]), int(request.GET["to"])
    except (KeyError, ValueError):
        return JsonResponse({"detail": "from and to are tree sizes"}, status=400)
    try:
        return JsonResponse(consistency(first, second))
    except TreeBroken as exc:  # the stored tree lost or changed a node
        return JsonResponse({"verifies": False, "detail": f"{BROKEN} {exc}."}, status=503)
    except merkle.ProofError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)


@csrf_exempt  # a witness is a program with no session; the cosignature is its credential
@require_POST
def cosignatures(request):
    """Witnesses hand back their cosignatures here (`audit_witness`); only those that verify
    with a key in AUDIT_WITNESS_KEYS are kept and published."""
    try:
        doc = json.loads(request.body)
        size, line = int(doc["size"]), str(doc["cosignature"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "Send {size, cosignature} as JSON."}, status=400)
    name = services.cosignature_add(size=size, line=line)
    return JsonResponse({"size": size, "witness": name}, status=201)
