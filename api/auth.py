"""API authentication, scopes, throttling and pagination (imported by DRF's settings)."""

import hashlib
import secrets

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import exceptions, permissions, throttling
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import CursorPagination

from core import ratelimit
from core.clientip import client_ip
from programs import policy
from programs.policy import StaffMFARequired

from .models import ApiToken, ServiceToken

TOKEN_PREFIX = "tt_"
# Service-account tokens (a model team's pipeline): `tts_<prefix>_<secret>`.
SERVICE_PREFIX = "tts_"
SERVICE_ONLY = (
    "A service-account token is only for the training check and the consent registry of "
    "its programme."
)


def token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


class TokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer tt_<prefix>_<secret>`."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the header as: Authorization: Bearer <token>."
            )
        plain = parts[1].decode(errors="replace")
        if plain.startswith(SERVICE_PREFIX):
            raise exceptions.AuthenticationFailed(SERVICE_ONLY)
        try:
            prefix = plain[len(TOKEN_PREFIX) :].split("_", 1)[0]
        except IndexError:
            prefix = ""
        token = (
            ApiToken.objects.select_related("user").filter(prefix=prefix).first()
            if plain.startswith(TOKEN_PREFIX)
            else None
        )
        if token is None or not secrets.compare_digest(token.key_hash, token_hash(plain)):
            raise exceptions.AuthenticationFailed("This API token is not valid.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API token was revoked.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ServiceTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer tts_<prefix>_<secret>`, on the views that name it (the training
    check and the consent registry) and no others. The request has no person: `request.user`
    stays anonymous and `request.auth` is the `ServiceToken`, scoped to one programme."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != self.keyword:
            return None
        plain = parts[1].decode(errors="replace")
        if not plain.startswith(SERVICE_PREFIX):
            return None  # a personal token: TokenAuthentication's
        prefix = plain[len(SERVICE_PREFIX) :].split("_", 1)[0]
        token = ServiceToken.objects.select_related("programme").filter(prefix=prefix).first()
        if token is None or not secrets.compare_digest(token.key_hash, token_hash(plain)):
            raise exceptions.AuthenticationFailed("This service-account token is not valid.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This service-account token was revoked.")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return AnonymousUser(), token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class TokenScopePermission(permissions.BasePermission):
    """A read-only token may only read."""

    message = "This token is read-only; create a read-and-write token to change data."

    def has_permission(self, request, view):
        token = request.auth
        if isinstance(token, ApiToken) and token.scope == ApiToken.Scope.READ:
            return request.method in permissions.SAFE_METHODS
        return True


class StaffTwoFactorPermission(permissions.BasePermission):
    """Staff two-factor, for requests a middleware never sees as the person (token auth).

    A person with staff reach and no two-factor (where `REQUIRE_STAFF_MFA` is on) gets a
    403 on every API call, whatever the token: the policy's rule, not a list of URLs.
    """

    message = StaffMFARequired().message
    code = "mfa_required"

    def has_permission(self, request, view):
        return not policy.needs_two_factor(request.user)


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Rate limit per token (per user for the browser session, per address when anonymous).

    Each request is one atomic increment of its window's counter (`core.ratelimit`), so
    parallel requests cannot all read the same count and pass. The address is the real
    peer's (`core.clientip`): `X-Forwarded-For` counts only from the operator's proxies.
    """

    scope = "token"

    def get_ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        count, self._left = ratelimit.hit(self.key, window=self.duration)
        return count <= self.num_requests

    def wait(self):
        return max(getattr(self, "_left", self.duration), 0)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif isinstance(request.auth, ServiceToken):
            ident = f"service-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class CursorPage(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        """`?page_size=` is a whole number from 1 to 200; anything else is a 400, not ignored."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
                parameter["description"] = (
                    f"Rows per page, 1 to {self.max_page_size} (default {self.page_size})."
                )
        return parameters

    ordering = "-pk"
