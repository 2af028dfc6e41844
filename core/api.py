"""The API's shared machinery: token authentication, scopes, rate limits, errors, idempotency.

Written here rather than taken from a package because each piece is small and
is our own policy: tokens are hashed and scoped, errors always JSON with field
errors, and an Idempotency-Key replays the first answer.
"""

import hashlib
import json
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .api_auth import TOKEN_PREFIX, token_hash
from .errors import DomainError, NotAllowed
from .models import ApiToken, IdempotencyRecord


def token_create(*, user, name: str, scope: str) -> tuple[ApiToken, str]:
    """Create a token; the plain value is returned once and never stored."""
    name = name.strip()
    if not name:
        raise DomainError("Give the token a name you will recognise.", field="name")
    if scope not in ApiToken.Scope.values:
        raise DomainError("Choose read or write.", field="scope")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    plain = f"{TOKEN_PREFIX}{prefix}_{secret}"
    token = ApiToken.objects.create(
        user=user, name=name[:100], scope=scope, prefix=prefix, key_hash=token_hash(plain)
    )
    return token, plain


def token_revoke(*, user, token: ApiToken) -> ApiToken:
    if token.user_id != user.pk:
        raise NotAllowed("This is not your token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


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


def _request_hash(request) -> str:
    if request.content_type and request.content_type.startswith("multipart/"):
        parts = []
        for key in sorted(request.data.keys()):
            for value in request.data.getlist(key):
                if hasattr(value, "chunks"):
                    digest = hashlib.sha256()
                    for chunk in value.chunks():
                        digest.update(chunk)
                    parts.append([key, "file", digest.hexdigest()])
                else:
                    parts.append([key, str(value)])
        raw = json.dumps(parts)
    else:
        raw = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{raw}".encode()).hexdigest()


class IdempotentCreateMixin:
    """POST with an `Idempotency-Key` header: a repeat returns the first result.

    A repeat with a different body is refused with 422. The record is written in
    the same transaction as the object, so a failed create leaves no key behind.
    """

    def create(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return super().create(request, *args, **kwargs)
        if len(key) > 200:
            return Response(
                {
                    "detail": "Idempotency-Key is at most 200 characters.",
                    "code": "invalid",
                    "field_errors": {},
                },
                status=400,
            )
        digest = _request_hash(request)
        previous = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if previous is not None:
            return self._replay(previous, digest)
        try:
            with transaction.atomic():
                response = super().create(request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    IdempotencyRecord.objects.create(
                        user=request.user,
                        key=key,
                        endpoint=request.path[:200],
                        request_hash=digest,
                        status_code=response.status_code,
                        response=json.loads(json.dumps(response.data, default=str)),
                    )
        except IntegrityError:
            previous = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if previous is None:
                raise
            return self._replay(previous, digest)
        return response

    def _replay(self, previous: IdempotencyRecord, digest: str) -> Response:
        if previous.request_hash != digest:
            return Response(
                {
                    "detail": "This Idempotency-Key was used with a different request body.",
                    "code": "idempotency_key_reused",
                    "field_errors": {},
                },
                status=422,
            )
        response = Response(previous.response, status=previous.status_code)
        response["Idempotent-Replayed"] = "true"
        return response
