"""Public pages and files of provenance: the consent registry of a programme (signed JSON, with
ETags and `since`), its training-data summary (JSON and a page), the registry's JSON Schema,
TDMRep's `/.well-known/tdmrep.json` and the TDM policy. Readable by anyone who may see the
programme."""

import json
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_aware, make_aware

from core.errors import DomainError
from programs.models import Programme

from . import registry, selectors

SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "consent-registry-v1.schema.json"


def visible_programme(request, slug) -> Programme:
    return get_object_or_404(Programme.objects.restrict(request.user), slug=slug)


def parse_since(raw: str | None):
    """`since` as an aware time, None when absent; a clear DomainError when unreadable."""
    if raw in (None, ""):
        return None
    value = parse_datetime(raw.strip().replace(" ", "+"))
    if value is None:
        raise DomainError(
            "`since` is an ISO 8601 time, e.g. 2025-01-31T12:00:00+00:00 (the `as_of` of the "
            "copy you hold).",
            field="since",
        )
    return value if is_aware(value) else make_aware(value)


def _matches(request, tag: str) -> bool:
    wanted = request.headers.get("If-None-Match", "")
    return tag in [t.strip() for t in wanted.split(",")] or wanted.strip() == "*"


def registry_response(request, programme: Programme, since):
    """The signed registry as JSON with its ETag, or 304 when the client's copy is current."""
    tag = registry.etag(programme, since)
    if _matches(request, tag):
        response = HttpResponseNotModified()
    else:
        doc = registry.signed(programme, since=since)
        response = HttpResponse(
            json.dumps(doc, indent=1, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
    response["ETag"] = tag
    response["Cache-Control"] = "no-cache"
    return response


def registry_json(request, slug):
    programme = visible_programme(request, slug)
    try:
        since = parse_since(request.GET.get("since"))
    except DomainError as exc:
        errors = {"since": [exc.message]}
        return JsonResponse({"detail": exc.message, "field_errors": errors}, status=400)
    return registry_response(request, programme, since)


def schema(request):
    return HttpResponse(SCHEMA_FILE.read_bytes(), content_type="application/schema+json")


def _summary(programme):
    return selectors.training_summary(programme, registry=registry.signed(programme))


def summary_json(request, slug):
    programme = visible_programme(request, slug)
    return JsonResponse(_summary(programme), json_dumps_params={"indent": 1})


def summary(request, slug):
    programme = visible_programme(request, slug)
    return render(
        request,
        "provenance/summary.html",
        {"programme": programme, "summary": _summary(programme)},
    )


def tdmrep(request):
    """W3C TDMRep: rights reserved everywhere; the policy says who may mine what."""
    policy = settings.SITE_URL + reverse("provenance:tdm_policy")
    return JsonResponse(
        [{"location": "/*", "tdm-reservation": 1, "tdm-policy": policy}],
        safe=False,
        json_dumps_params={"indent": 1},
    )


def tdm_policy(request):
    """The TDM policy (an ODRL offer in TDMRep's profile): mining a tester's output is offered
    only to its programme's organiser, only where the programme's consent registry allows it."""
    site = settings.SITE_URL
    programmes = Programme.objects.restrict(None).order_by("slug")
    policy = {
        "@context": ["http://www.w3.org/ns/odrl.jsonld", {"tdm": "http://www.w3.org/ns/tdmrep#"}],
        "@type": "Offer",
        "profile": "http://www.w3.org/ns/tdmrep",
        "uid": site + reverse("provenance:tdm_policy"),
        "assigner": {"uid": site, "vcard:fn": settings.SITE_NAME, "vcard:hasURL": site},
        "permission": [
            {
                "target": site + reverse("transparency:detail", args=[p.slug]),
                "action": "tdm:mine",
                "assignee": f"The organiser of {p.name} ({p.product})",
                "constraint": [
                    {
                        "leftOperand": "purpose",
                        "operator": "isA",
                        "rightOperand": "the uses the consent registry allows",
                        "dct:source": site + reverse("provenance:registry", args=[p.slug]),
                    }
                ],
            }
            for p in programmes
        ],
    }
    return JsonResponse(policy, json_dumps_params={"indent": 1})
