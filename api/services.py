"""API tokens: personal tokens, and a programme's service-account tokens (a model team's
pipeline), each created (shown once) and revoked."""

import secrets

from django.db import transaction
from django.utils import timezone

from audit.services import record
from core.errors import DomainError, NotAllowed
from core.text import refuse_control_characters
from programs import policy
from programs.policy import StaffMFARequired

from .auth import SERVICE_PREFIX, TOKEN_PREFIX, token_hash
from .models import ApiToken, ServiceToken


@transaction.atomic
def token_create(*, actor, name: str, scope: str) -> tuple[ApiToken, str]:
    """Create a token; the plain value is returned once and never stored.

    A token acts with all its owner's roles, so a person with staff reach creates one
    only once they have two-factor (where staff two-factor is required).
    """
    if policy.needs_two_factor(actor):
        raise StaffMFARequired()
    name = name.strip()
    if not name:
        raise DomainError("Give the token a name you will recognise.", field="name")
    refuse_control_characters(name, field="name", what="token name")
    if scope not in ApiToken.Scope.values:
        raise DomainError("Choose read or write.", field="scope")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    plain = f"{TOKEN_PREFIX}{prefix}_{secret}"
    token = ApiToken.objects.create(
        user=actor, name=name[:100], scope=scope, prefix=prefix, key_hash=token_hash(plain)
    )
    record(
        action="api.token.created",
        obj=token,
        actor=actor,
        subject=actor,
        data={"name": token.name, "scope": scope, "prefix": prefix},
    )
    return token, plain


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != actor.pk:
        raise NotAllowed("This is not your token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            action="api.token.revoked",
            obj=token,
            actor=actor,
            subject=actor,
            data={"name": token.name, "prefix": token.prefix},
        )
    return token


@transaction.atomic
def service_token_create(*, actor, programme, name: str) -> tuple[ServiceToken, str]:
    """A manager makes a service-account token for the programme's model team: no person,
    this programme only, read-only, the training check and the registry only. The plain
    value is returned once and never stored."""
    policy.require(actor, "manage", programme)
    name = (name or "").strip()
    if not name:
        raise DomainError("Give the token a name, e.g. “training pipeline”.", field="name")
    refuse_control_characters(name, field="name", what="token name")
    prefix = secrets.token_hex(6)
    plain = f"{SERVICE_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ServiceToken.objects.create(
        programme=programme,
        name=name[:100],
        prefix=prefix,
        key_hash=token_hash(plain),
        created_by=actor,
    )
    record(
        action="api.service_token.created",
        obj=token,
        actor=actor,
        programme=programme,
        data={"name": token.name, "prefix": prefix},
    )
    return token, plain


@transaction.atomic
def service_token_revoke(*, actor, token: ServiceToken) -> ServiceToken:
    token = ServiceToken.objects.select_for_update().select_related("programme").get(pk=token.pk)
    policy.require(actor, "manage", token.programme)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        record(
            action="api.service_token.revoked",
            obj=token,
            actor=actor,
            programme=token.programme,
            data={"name": token.name, "prefix": token.prefix},
        )
    return token
