"""Idempotent creates: an Idempotency-Key replays the first answer.

Written here rather than taken from a package because each piece is small and
is our own policy (as are the tokens in `api.auth` and the errors in `api.errors`).
"""

import hashlib
import json

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from .models import IdempotencyRecord


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


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Send one (a UUID, say) with every create: a repeat of the same request returns the "
        "first result (`Idempotent-Replayed: true`) instead of creating twice; the same key "
        "with another body is refused with 422."
    ),
)


class IdempotentCreateMixin:
    """POST with an `Idempotency-Key` header: a repeat returns the first result.

    A repeat with a different body is refused with 422. The key is claimed before the
    object is created, in the same transaction, so twenty identical requests at once make
    one record (the others wait and replay it) and a failed create leaves no key behind.
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
        with transaction.atomic():
            # Claim the key before creating anything. A parallel request with the same key
            # waits here (PostgreSQL: on the unique index; SQLite: on the write lock) until
            # this one commits, then finds the record and replays it; if this one fails, its
            # claim rolls back with it and the other goes ahead.
            try:
                with transaction.atomic():
                    claim = IdempotencyRecord.objects.create(
                        user=request.user,
                        key=key,
                        endpoint=request.path[:200],
                        request_hash=digest,
                        status_code=0,
                        response={},
                    )
            except IntegrityError:
                previous = IdempotencyRecord.objects.get(user=request.user, key=key)
                return self._replay(previous, digest)
            response = super().create(request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                claim.status_code = response.status_code
                claim.response = json.loads(json.dumps(response.data, default=str))
                claim.save(update_fields=["status_code", "response"])
            else:
                transaction.set_rollback(True)
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
