"""The API's error handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]): every error is JSON."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError, NotAllowed


def exception_handler(exc, context):
    """Every error is JSON: `{"detail": message, "code": code, "field_errors": {...}}`."""
    if isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied({"detail": exc.message, "code": exc.code})
        return Response(
            {"detail": exc.detail["detail"], "code": exc.detail["code"], "field_errors": {}},
            status=403,
        )
    if isinstance(exc, DomainError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        return Response(
            {"detail": exc.message, "code": exc.code, "field_errors": fields}, status=400
        )
    if isinstance(exc, ValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        return Response({"detail": message, "code": "invalid", "field_errors": fields}, status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        first = next(iter(fields.values()), ["Invalid input."])
        detail = first[0] if isinstance(first, list) and first else str(first)
        response.data = {
            "detail": f"Invalid input: {detail}",
            "code": "invalid",
            "field_errors": fields,
        }
    else:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"detail": str(detail), "code": code, "field_errors": {}}
    return response
