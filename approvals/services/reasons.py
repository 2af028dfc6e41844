"""Reason codes: the controlled list a reviewer picks a reason from. A programme starts with
the standard ones; managers add, retire and bring them back."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from audit.services import record
from core.errors import DomainError
from core.text import refuse_control_characters
from programs import policy
from programs.models import Programme

from ..models import ReasonCode

# The reason codes a programme starts with (managers add, retire and extend them).
DEFAULT_REASONS = [
    ("real-person", "Depicts a real person"),
    ("unreleased-feature", "Shows an unreleased feature"),
    ("safety", "Safety concern"),
    ("brand", "Brand or trademark issue"),
    ("confidential", "Reveals confidential information"),
    ("quality", "Not representative of the product"),
]


@transaction.atomic
def reason_code_create(*, actor, programme: Programme, label: str, code: str = "") -> ReasonCode:
    """Add a reason reviewers may give; its code is made from the label if not given."""
    policy.require(actor, "manage", programme)
    label = (label or "").strip()
    if not label:
        raise DomainError(
            "Give the reason a label reviewers and participants understand.", field="label"
        )
    refuse_control_characters(label, field="label", what="reason label")
    code = slugify(code or label)[:40]
    if not code:
        raise DomainError("The code needs letters or digits.", field="code")
    if ReasonCode.objects.filter(programme=programme, code=code).exists():
        raise DomainError(f"The code “{code}” is already in the list.", field="code")
    reason = ReasonCode.objects.create(programme=programme, code=code, label=label[:120])
    record(
        action="approvals.reason.created",
        obj=reason,
        actor=actor,
        programme=programme,
        data={"code": code, "label": reason.label},
    )
    return reason


@transaction.atomic
def reason_code_set_active(*, actor, reason: ReasonCode, active: bool) -> ReasonCode:
    """Retire a reason (or bring it back); past decisions keep pointing at it."""
    reason = ReasonCode.objects.select_for_update().get(pk=reason.pk)
    policy.require(actor, "manage", reason)
    if reason.active == active:
        return reason
    reason.active = active
    reason.save(update_fields=["active"])
    record(
        action="approvals.reason.updated",
        obj=reason,
        actor=actor,
        programme=reason.programme,
        data={"code": reason.code, "active": active},
    )
    return reason


@transaction.atomic
def reason_codes_add_defaults(*, actor, programme: Programme) -> list[ReasonCode]:
    """Add the standard reasons a programme lacks (safe to run twice)."""
    policy.require(actor, "manage", programme)
    return _add_default_reasons(programme=programme, actor=actor)


def _add_default_reasons(*, programme: Programme, actor) -> list[ReasonCode]:
    existing = set(ReasonCode.objects.filter(programme=programme).values_list("code", flat=True))
    added = []
    for code, label in DEFAULT_REASONS:
        if code in existing:
            continue
        reason = ReasonCode.objects.create(programme=programme, code=code, label=label)
        record(
            action="approvals.reason.created",
            obj=reason,
            actor=actor,
            programme=programme,
            data={"code": code, "label": label, "default": True},
        )
        added.append(reason)
    return added


def on_programme_created(sender, *, programme, payload, **kwargs) -> None:
    """Receiver of `programs.signals.programme_created`: a new programme starts with the
    standard reason codes, so its reviewers can give a reason from the first day."""
    actor = get_user_model().objects.filter(pk=payload.actor_id).first()
    _add_default_reasons(programme=programme, actor=actor)
