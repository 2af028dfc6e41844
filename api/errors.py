"""The API's error handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]): every error is JSON.

One body, `{"detail": "…", "code": "…", "field_errors": {"field": ["…", …]}}`, and one status
per kind of refusal, each declared in the schema (`api.schema`):

- 400: the request does not match the schema (a field missing, of the wrong type, too long);
- 404: no such record, or not one you may see (a programme named in a body included), and
  any path under /api/ that is not an endpoint;
- 409: the programme's rules refuse it in the records' current state ("already decided",
  "the results are published"): the same request may succeed later or never;
- 422: the request matches the schema, but the rules refuse one of its values (a period
  that ends before it starts, hours before the person joined): `field_errors` names it.

`field_errors` always maps a name to a list of sentences, also for the items of a list
(`{"winners": ["Item 2: …"]}`) and the fields of a nested object (`{"period.end": […]}`).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError, NotAllowed


def flatten(errors) -> dict[str, list[str]]:
    """DRF's nested errors as {"field": ["sentence", …]}: a list's items and a nested
    object's fields become sentences and dotted names, never objects."""
    out: dict[str, list[str]] = {}

    def walk(value, key: str, item: str) -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                if isinstance(name, int) or str(name).isdigit():  # a list's item, by index
                    walk(inner, key, f"{item}Item {int(name) + 1}: ")
                else:
                    walk(inner, f"{key}.{name}" if key else str(name), item)
        elif isinstance(value, (list, tuple)):
            for index, inner in enumerate(value):
                prefix = f"{item}Item {index + 1}: " if isinstance(inner, dict) else item
                walk(inner, key, prefix)
        else:
            out.setdefault(key or "non_field_errors", []).append(f"{item}{value}")

    walk(errors, "", "")
    return out


# Refusals of values the schema allows, so they are 422 like the programme's other rules: a
# date outside 2000–2099 (OpenAPI 3.0 cannot bound a date), a file of 0 bytes (nor its size),
# exactly one of several optional fields (a contest names one decision).
RULE_CODES = frozenset({"date_out_of_range", "empty", "one_of"})


def _codes(detail) -> set[str]:
    if isinstance(detail, dict):
        return set().union(*(_codes(v) for v in detail.values())) if detail else set()
    if isinstance(detail, (list, tuple)):
        return set().union(*(_codes(v) for v in detail)) if detail else set()
    return {getattr(detail, "code", None) or "invalid"}


def _body(detail: str, code: str, fields: dict | None = None) -> dict:
    return {"detail": detail, "code": code, "field_errors": fields or {}}


def exception_handler(exc, context):
    """Every error is JSON: `{"detail": message, "code": code, "field_errors": {...}}`."""
    if isinstance(exc, NotAllowed):
        return Response(_body(exc.message, exc.code), status=403)
    if isinstance(exc, DomainError):
        if exc.field:
            return Response(_body(exc.message, exc.code, {exc.field: [exc.message]}), status=422)
        return Response(_body(exc.message, exc.code), status=409)
    if isinstance(exc, ValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        return Response(_body("; ".join(exc.messages), "invalid", fields), status=422)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten(data if isinstance(data, dict) else {"non_field_errors": data})
        first = next(iter(fields.values()), ["Invalid input."])
        response.data = _body(f"Invalid input: {first[0]}", "invalid", fields)
        if _codes(exc.detail) <= RULE_CODES:
            response.status_code = 422  # schema-valid, refused by a rule the schema cannot state
    else:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = _body(str(detail), code)
    return response


@csrf_exempt  # like the API's own views: the answer is the same JSON 404 for every method
def not_found(request, *args, **kwargs):
    """Any path under /api/ that is not an endpoint: a JSON 404, never the HTML page."""
    hint = "" if request.path.endswith("/") else " (the API's paths end with a slash)"
    return JsonResponse(
        _body(f"No API endpoint at {request.path[:200]}{hint}; see /api/schema/.", "not_found"),
        status=404,
    )
