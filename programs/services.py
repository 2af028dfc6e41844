"""Running a programme: settings, staff roles, drafting and publishing terms."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import record
from core import currencies, events
from core.errors import DomainError, NotAllowed

from . import policy
from .models import Programme, ProgrammeRole, TermsVersion
from .selectors import current_terms

PROGRAMME_FIELDS = (
    "name",
    "product",
    "summary",
    "currency",
    "reference_hourly_rate",
    "approval_threshold",
)


def _currency(value) -> str:
    code = currencies.normalise(value)
    if not currencies.is_currency(code):
        raise DomainError(currencies.MESSAGE.format(code=code), field="currency")
    return code


@transaction.atomic
def programme_create(
    *, actor, name: str, slug: str, product: str, manager=None, **fields
) -> Programme:
    """Create a draft programme; `manager` (by default its creator) becomes its first manager.

    Managers create programmes; the very first one is created by an administrator
    (a superuser), who names its first manager.
    """
    if not policy.any_role(actor, "manage"):
        raise NotAllowed("Only managers (or an administrator) can create programmes.")
    if Programme.objects.filter(slug=slug).exists():
        raise DomainError(f"The address “{slug}” is taken; choose another.", field="slug")
    if "currency" in fields:
        fields["currency"] = _currency(fields["currency"])
    programme = Programme.objects.create(name=name, slug=slug, product=product, **fields)
    ProgrammeRole.objects.create(
        programme=programme, user=manager or actor, role=ProgrammeRole.Role.MANAGER
    )
    policy.forget(manager or actor)
    record(
        action="programs.programme.created",
        obj=programme,
        actor=actor,
        programme=programme,
        data={"name": name, "slug": slug},
    )
    return programme


@transaction.atomic
def programme_update(*, actor, programme: Programme, **changes) -> Programme:
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    policy.require(actor, "manage", programme)
    changed = {}
    for name, value in changes.items():
        if name not in PROGRAMME_FIELDS:
            raise DomainError(f"“{name}” cannot be changed here.")
        if name == "currency":
            value = _currency(value)
        if getattr(programme, name) != value:
            changed[name] = [str(getattr(programme, name)), str(value)]
            setattr(programme, name, value)
    if changed:
        programme.save()
        record(
            action="programs.programme.updated",
            obj=programme,
            actor=actor,
            programme=programme,
            data=changed,
        )
    return programme


STATUS_TRANSITIONS = {
    Programme.Status.DRAFT: {
        Programme.Status.OPEN,
        Programme.Status.RUNNING,
        Programme.Status.CLOSED,
    },
    Programme.Status.OPEN: {Programme.Status.RUNNING, Programme.Status.CLOSED},
    Programme.Status.RUNNING: {Programme.Status.OPEN, Programme.Status.CLOSED},
    Programme.Status.PAUSED: {Programme.Status.CLOSED},
    Programme.Status.CLOSED: set(),
}


@transaction.atomic
def programme_set_status(*, actor, programme: Programme, status: str) -> Programme:
    """Open, run or close a programme. Pausing and resuming go through access pauses."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    policy.require(actor, "manage", programme)
    old = programme.status
    if status == old:
        return programme
    if status not in STATUS_TRANSITIONS[old]:
        hint = (
            " Use an access pause to pause or resume."
            if Programme.Status.PAUSED in (old, status)
            else ""
        )
        raise DomainError(
            f"A {programme.get_status_display().lower()} programme cannot become "
            f"{Programme.Status(status).label.lower()}.{hint}"
        )
    if status in (Programme.Status.OPEN, Programme.Status.RUNNING) and not current_terms(programme):
        raise DomainError("Publish the terms before opening the programme.")
    programme.status = status
    programme.save(update_fields=["status"])
    record(
        action="programs.programme.status_changed",
        obj=programme,
        actor=actor,
        programme=programme,
        data={"from": old, "to": status},
    )
    return programme


@transaction.atomic
def role_grant(*, actor, programme: Programme, user, role: str) -> ProgrammeRole:
    policy.require(actor, "manage", programme)
    if role not in ProgrammeRole.Role.values:
        raise DomainError("Choose manager, reviewer or finance.", field="role")
    granted, created = ProgrammeRole.objects.get_or_create(
        programme=programme, user=user, role=role
    )
    policy.forget(user)
    if created:
        record(
            action="programs.role.granted",
            obj=granted,
            actor=actor,
            programme=programme,
            subject=user,
            data={"role": role},
        )
    return granted


@transaction.atomic
def role_revoke(*, actor, role: ProgrammeRole) -> None:
    policy.require(actor, "manage", role.programme)
    if role.role == ProgrammeRole.Role.MANAGER:
        others = ProgrammeRole.objects.filter(
            programme=role.programme, role=ProgrammeRole.Role.MANAGER
        ).exclude(pk=role.pk)
        if not others.exists():
            raise DomainError("A programme needs at least one manager.")
    record(
        action="programs.role.revoked",
        obj=role.programme,
        actor=actor,
        programme=role.programme,
        subject=role.user,
        data={"role": role.role},
    )
    role.delete()
    policy.forget(role.user)


# --- Terms --------------------------------------------------------------------------------


def validate_terms(terms: TermsVersion) -> None:
    """Raise ValidationError naming every field that makes these terms incoherent."""
    errors: dict[str, str] = {}
    if not currencies.is_currency(terms.currency):
        errors["currency"] = currencies.MESSAGE.format(code=terms.currency)
    P = terms.PayModel
    if terms.pay_model == P.HOURLY and not terms.hourly_rate:
        errors["hourly_rate"] = "An hourly model needs a rate."
    if terms.pay_model == P.STIPEND:
        if not terms.stipend_amount:
            errors["stipend_amount"] = "A stipend needs an amount."
        if not terms.stipend_period:
            errors["stipend_period"] = "A stipend needs a period."
    if terms.pay_model == P.BOUNTY:
        table = terms.bounty_table or {}
        if not any(table.get(s) not in (None, "") for s in terms.SEVERITIES):
            errors["bounty_table"] = (
                "A per-finding model needs an amount for at least one severity."
            )
        for severity, amount in table.items():
            if severity not in terms.SEVERITIES:
                errors["bounty_table"] = f"Unknown severity “{severity}”."
                continue
            try:
                if amount not in (None, "") and Decimal(str(amount)) < 0:
                    errors["bounty_table"] = "Bounty amounts cannot be negative."
            except InvalidOperation:
                errors["bounty_table"] = f"“{amount}” is not an amount."
    if terms.pay_model == P.GRANT and not terms.grant_amount:
        errors["grant_amount"] = "A grant needs an amount."
    for name in ("hourly_rate", "stipend_amount", "grant_amount"):
        value = getattr(terms, name)
        if value is not None and value < 0:
            errors[name] = "Amounts cannot be negative."
    if terms.approval_scope != terms.ApprovalScope.NONE:
        if terms.on_missed_deadline == terms.OnMissedDeadline.DEEMED_APPROVED and not (
            terms.review_deadline_hours
        ):
            errors["review_deadline_hours"] = "Deemed approval needs a review deadline."
        if terms.review_deadline_hours and not terms.on_missed_deadline:
            errors["on_missed_deadline"] = "Say what happens when the review deadline is missed."
    if terms.nda_until and terms.nda_until_text:
        errors["nda_until_text"] = "Give either a date or a text for the end of the NDA, not both."
    unknown = set(terms.expected_activities or []) - set(terms.Activity.values)
    if unknown:
        errors["expected_activities"] = f"Unknown activities: {', '.join(sorted(unknown))}."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def terms_draft_create(*, actor, programme: Programme) -> TermsVersion:
    """Start a new draft, copied from the newest version so managers edit what changes."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    policy.require(actor, "manage", programme)
    if TermsVersion.objects.filter(programme=programme, status=TermsVersion.Status.DRAFT).exists():
        raise DomainError("This programme already has a draft; edit that one.")
    latest = TermsVersion.objects.filter(programme=programme).order_by("-number").first()
    number = (
        TermsVersion.objects.filter(programme=programme).aggregate(m=Max("number"))["m"] or 0
    ) + 1
    draft = TermsVersion(programme=programme, number=number, created_by=actor)
    if latest is not None:
        for name in TermsVersion.TERMS_FIELDS:
            setattr(draft, name, getattr(latest, name))
    else:
        draft.currency = programme.currency
    draft.material_change = True
    draft.save()
    record(
        action="programs.terms.drafted",
        obj=draft,
        actor=actor,
        programme=programme,
        data={"number": number},
    )
    return draft


@transaction.atomic
def terms_draft_update(*, actor, terms: TermsVersion, **values) -> TermsVersion:
    terms = TermsVersion.objects.select_for_update().get(pk=terms.pk)
    policy.require(actor, "manage", terms)
    if terms.is_published:
        raise DomainError(
            f"Version {terms.number} is published and can never change; draft a new version.",
            code="published",
        )
    allowed = set(TermsVersion.TERMS_FIELDS) | {"change_summary"}
    for name, value in values.items():
        if name not in allowed:
            raise DomainError(f"“{name}” is not part of the terms.")
        setattr(terms, name, value)
    terms.save()
    record(action="programs.terms.draft_updated", obj=terms, actor=actor, programme=terms.programme)
    return terms


@transaction.atomic
def terms_publish(*, actor, terms: TermsVersion) -> TermsVersion:
    """Publish a draft. It never changes again; its hash is what participants consent to.

    The first version takes effect at once. A later material change takes effect
    after the notice period of the terms in force, and then every participant
    must accept it before further work; a non-material change takes effect at once.
    """
    terms = TermsVersion.objects.select_for_update().select_related("programme").get(pk=terms.pk)
    policy.require(actor, "manage", terms)
    if terms.is_published:
        raise DomainError(f"Version {terms.number} is already published.", code="published")
    validate_terms(terms)
    now = timezone.now()
    in_force = current_terms(terms.programme, now)
    if in_force is None:
        terms.material_change = True
        effective = now
    elif terms.material_change:
        effective = now + timedelta(days=in_force.notice_period_days)
    else:
        effective = now
    terms.status = TermsVersion.Status.PUBLISHED
    terms.published_at = now
    terms.published_by = actor
    terms.effective_at = effective
    terms.content_hash = terms.compute_hash()
    terms.save()
    record(
        action="programs.terms.published",
        obj=terms,
        actor=actor,
        programme=terms.programme,
        data={
            "number": terms.number,
            "content_hash": terms.content_hash,
            "material_change": terms.material_change,
            "effective_at": effective,
        },
    )
    events.publish(
        programme=terms.programme,
        event="terms.published",
        data={
            "number": terms.number,
            "content_hash": terms.content_hash,
            "material_change": terms.material_change,
            "effective_at": effective,
        },
    )
    return terms


def terms_diff(old: TermsVersion, new: TermsVersion) -> dict:
    """Changed fields side by side, and the body as a unified line diff."""
    import difflib

    fields = []
    labels = {f.name: f.verbose_name for f in TermsVersion._meta.fields}
    for name in TermsVersion.TERMS_FIELDS:
        if name == "body":
            continue
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            fields.append(
                {
                    "field": name,
                    "label": str(labels.get(name, name)).capitalize(),
                    "old": _display(old, name),
                    "new": _display(new, name),
                }
            )
    body = list(
        difflib.unified_diff(
            (old.body or "").splitlines(),
            (new.body or "").splitlines(),
            fromfile=f"v{old.number}",
            tofile=f"v{new.number}",
            lineterm="",
        )
    )
    return {"old": old.number, "new": new.number, "fields": fields, "body": body}


def _display(terms: TermsVersion, name: str) -> str:
    getter = getattr(terms, f"get_{name}_display", None)
    if getter:
        return str(getter())
    value = getattr(terms, name)
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        labels = dict(TermsVersion.Activity.choices)
        return ", ".join(str(labels.get(v, v)) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)
