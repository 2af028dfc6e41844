"""Running a programme: settings, staff roles, drafting and publishing terms."""

import difflib
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from audit.services import record
from core import currencies
from core.errors import DomainError, NotAllowed
from core.services import notify
from core.text import refuse_control_characters

from . import changes, policy, signals
from .coherence import (  # noqa: F401 - the checks callers and tests reach through services
    PAY_MODEL_FIELDS,
    check_passages,
    check_publishable,
    check_terms,
    clear_unused_terms,
    term_display,
    validate_terms,
    watched_passages,
)
from .models import (
    EditorialConfirmation,
    Programme,
    ProgrammeRole,
    TermsTranslation,
    TermsVersion,
    ThresholdChange,
    body_hash,
)
from .selectors import current_terms


def _check_programme_amounts(fields: dict) -> None:
    """A reference rate or an approval threshold below zero means nothing: refuse it."""
    for name in ("reference_hourly_rate", "approval_threshold"):
        value = fields.get(name)
        if value not in (None, "") and Decimal(str(value)) < 0:
            raise DomainError("This cannot be negative.", field=name)


def _threshold(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _refuse_change_by_awarder(actor, programme: Programme, old, new) -> None:
    """Any change of the threshold (lowering, raising, removing) is refused to the person who
    last awarded pay in the programme (compensation answers `approval_threshold_changing`):
    whoever hands out money has no hand in the check on it, neither proposing nor confirming."""
    if old is not None:
        signals.approval_threshold_changing.send(
            Programme,
            programme=programme,
            payload=signals.ApprovalThresholdChanging(
                actor_id=actor.pk, old=str(old), new="" if new is None else str(new)
            ),
        )


@transaction.atomic
def threshold_propose(*, actor, programme: Programme, new) -> ThresholdChange:
    """Propose changing (or removing, `new` None) a programme's two-person threshold. It
    takes effect once another manager confirms it (`threshold_confirm`); a proposal replaces
    any open one. The first threshold of a programme is set in its settings at once."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    policy.require(actor, "manage", programme)
    new, old = _threshold(new), programme.approval_threshold
    if new is not None and new < 0:
        raise DomainError("This cannot be negative.", field="approval_threshold")
    if old is None:
        raise DomainError(
            f"{programme.name} has no two-person threshold; set one in its settings.",
            field="approval_threshold",
        )
    if new == old:
        raise DomainError(
            f"The threshold is {old} {programme.currency} already.", field="approval_threshold"
        )
    _refuse_change_by_awarder(actor, programme, old, new)
    now = timezone.now()
    programme.threshold_changes.filter(confirmed_at=None, closed_at=None).update(closed_at=now)
    change = ThresholdChange.objects.create(
        programme=programme, old=old, new=new, proposed_by=actor
    )
    record(
        action="programs.threshold.proposed",
        obj=programme,
        actor=actor,
        programme=programme,
        data={"change": change.pk, "old": str(old), "new": str(new) if new is not None else ""},
    )
    wording = f"to {new} {programme.currency}" if new is not None else "removed"
    for person in policy.staff_of(programme, "manage").exclude(pk=actor.pk):
        notify(
            user=person,
            subject=f"{programme.name}: confirm the two-person threshold change?",
            body=f"{actor.email} proposes the two-person approval threshold {wording} (now "
            f"{old} {programme.currency}). It takes effect once another manager confirms it.",
            dedupe_key=f"programs.threshold.proposed:{change.pk}:{person.pk}",
            url=reverse("programs:staff_programme", args=[programme.slug]),
            programme=programme,
        )
    return change


@transaction.atomic
def threshold_confirm(*, actor, change: ThresholdChange) -> Programme:
    """A second manager confirms a proposed threshold change, which then takes effect."""
    change = ThresholdChange.objects.select_for_update().get(pk=change.pk)
    programme = Programme.objects.select_for_update().get(pk=change.programme_id)
    policy.require(actor, "manage", programme)
    if not change.is_open:
        raise DomainError("This change was already confirmed or replaced by another proposal.")
    if change.proposed_by_id == actor.pk:
        raise NotAllowed(
            "You proposed this change; another manager of the programme confirms it.",
            code="same_person",
        )
    if programme.approval_threshold != change.old:
        raise DomainError(
            "The threshold changed since this was proposed; propose again.", code="stale"
        )
    _refuse_change_by_awarder(actor, programme, change.old, change.new)
    programme.approval_threshold = change.new
    programme.save(update_fields=["approval_threshold"])
    change.confirmed_by, change.confirmed_at = actor, timezone.now()
    change.save(update_fields=["confirmed_by", "confirmed_at"])
    record(
        action="programs.threshold.confirmed",
        obj=programme,
        actor=actor,
        programme=programme,
        data={
            "change": change.pk,
            "old": str(change.old),
            "new": str(change.new) if change.new is not None else "",
            "proposed_by": change.proposed_by_id,
        },
    )
    return programme


PROGRAMME_FIELDS = (
    "default_language",
    "name",
    "product",
    "summary",
    "currency",
    "reference_hourly_rate",
    "approval_threshold",
    "holiday_calendar",
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
    refuse_control_characters(name, field="name", what="programme name")
    refuse_control_characters(product, field="product", what="product name")
    if Programme.objects.filter(slug=slug).exists():
        raise DomainError(f"The address “{slug}” is taken; choose another.", field="slug")
    _check_programme_amounts(fields)
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
    # Apps above add what a new programme starts with (approvals: the standard reason codes).
    signals.programme_created.send(
        Programme, programme=programme, payload=signals.ProgrammeCreated(actor_id=actor.pk)
    )
    return programme


@transaction.atomic
def programme_update(*, actor, programme: Programme, **changes) -> Programme:
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    policy.require(actor, "manage", programme)
    _check_programme_amounts(changes)
    if "approval_threshold" in changes:
        # Once a programme has a threshold, changing it takes a second manager.
        new = _threshold(changes["approval_threshold"])
        if programme.approval_threshold is not None and new != programme.approval_threshold:
            del changes["approval_threshold"]
            threshold_propose(actor=actor, programme=programme, new=new)
    changed = {}
    for name, value in changes.items():
        if name not in PROGRAMME_FIELDS:
            raise DomainError(f"“{name}” cannot be changed here.")
        if name in ("name", "product") and isinstance(value, str):
            refuse_control_characters(value, field=name, what=f"programme {name}")
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
        for name, days in TermsVersion.DEFAULT_RESPONSE_TARGETS.items():
            setattr(draft, name, days)
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
        try:
            value = TermsVersion._meta.get_field(name).to_python(value)
        except ValidationError as exc:
            raise ValidationError({name: exc.messages}) from None
        setattr(terms, name, value)
    check_terms(terms)
    terms.save()
    record(action="programs.terms.draft_updated", obj=terms, actor=actor, programme=terms.programme)
    return terms


@transaction.atomic
def terms_publish(*, actor, terms: TermsVersion, passages_agree: bool = False) -> TermsVersion:
    """Publish a draft. It never changes again; its hash is what participants consent to.

    The first version takes effect at once. A later material change takes effect
    after the notice period of the terms in force, and then every participant
    must accept it before further work; a non-material change takes effect at once.
    A change of the full text is material unless another manager confirmed it editorial
    (`terms_editorial_confirm`). New passages of the full text about what the structured
    terms cover wait for `passages_agree` (or for those terms to change): `check_passages`.
    """
    terms = TermsVersion.objects.select_for_update().select_related("programme").get(pk=terms.pk)
    policy.require(actor, "manage", terms)
    if terms.is_published:
        raise DomainError(f"Version {terms.number} is already published.", code="published")
    check_terms(terms)
    now = timezone.now()
    in_force = current_terms(terms.programme, now)
    passages = check_passages(terms, in_force, agree=passages_agree)
    diff = terms_diff(in_force, terms) if in_force is not None else None
    if not (diff and diff["editorial"]):
        # A confirmation of other texts (an earlier draft) must not be shown as this one's.
        EditorialConfirmation.objects.filter(terms=terms).delete()
    if in_force is None:
        terms.material_change = True
        effective = now
    else:
        # Material follows from the diff: the manager may mark more, never fewer.
        terms.material_change = terms.material_change or diff["material"]
        if terms.material_change:
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
            "changed": [row["field"] for row in diff["fields"]] if diff else [],
            "worse": [row["field"] for row in diff["fields"] if row["worse"]] if diff else [],
            "body_changed": bool(diff and diff["body"]),
            "editorial": diff["editorial"] if diff else None,
            # What the manager confirmed the structured terms say the same as.
            "passages_confirmed": [row["text"] for row in passages if not row["changed"]],
        },
    )
    signals.terms_published.send(
        TermsVersion,
        programme=terms.programme,
        payload=signals.TermsPublished(
            number=terms.number,
            content_hash=terms.content_hash,
            material_change=terms.material_change,
            effective_at=effective,
        ),
    )
    return terms


@transaction.atomic
def terms_translation_publish(
    *, actor, terms: TermsVersion, language: str, texts: dict[str, str]
) -> TermsTranslation:
    """Publish a published version's full text and free-text terms in one more language.

    Its own audited event, with the version or any time later: the version, its binding text
    and its hash never change, and a translation, once published, never changes either (a
    better one is a new version's). Every free-text term the version states must be given.
    """
    terms = TermsVersion.objects.select_for_update().select_related("programme").get(pk=terms.pk)
    policy.require(actor, "manage", terms)
    languages = dict(settings.LANGUAGES)
    if not terms.is_published:
        raise DomainError("Publish the version first; its translations follow it.")
    if language not in languages or language == terms.binding_language:
        raise DomainError("Choose a language we offer other than the version's binding one.")
    if TermsTranslation.objects.filter(terms=terms, language=language).exists():
        raise DomainError(
            f"Version {terms.number} already has its {languages[language]} translation; "
            "a published translation never changes.",
            code="published",
        )
    translation = TermsTranslation(terms=terms, language=language, published_by=actor)
    missing = []
    for name in TermsTranslation.TEXT_FIELDS:
        value = (texts.get(name) or "").strip()
        if getattr(terms, name) and not value:
            missing.append(str(TermsVersion._meta.get_field(name).verbose_name))
        setattr(translation, name, value)
    if missing:
        raise DomainError(f"Translate every term the version states: {', '.join(missing)}.")
    translation.published_at = timezone.now()
    translation.content_hash = translation.compute_hash()
    try:
        translation.full_clean()
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
    translation.save()
    record(
        action="programs.terms.translation_published",
        obj=translation,
        actor=actor,
        programme=terms.programme,
        data={
            "number": terms.number,
            "language": language,
            "content_hash": translation.content_hash,
            "binding_hash": terms.content_hash,
        },
    )
    return translation


def terms_diff(old: TermsVersion, new: TermsVersion) -> dict:
    """Changed fields side by side, each marked material and worse-for-the-tester or not,
    and the body as a unified line diff (see `programs.changes`), material unless
    confirmed editorial by a second manager (`editorial`: who, when)."""
    fields = []
    labels = {f.name: f.verbose_name for f in TermsVersion._meta.fields}
    for name in TermsVersion.TERMS_FIELDS:
        if name in ("body", "material_change"):
            continue
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            worse = changes.is_worse(name, before, after)
            fields.append(
                {
                    "field": name,
                    "label": str(capfirst(labels.get(name, name))),
                    "old": term_display(old, name),
                    "new": term_display(new, name),
                    "material": changes.is_material_field(name),
                    "worse": worse,
                    # Better: the change back would be worse (a raise, a shorter deadline).
                    "better": not worse and changes.is_worse(name, after, before),
                }
            )
    body = body_diff(old, new)
    editorial = _editorial(old, new) if body else None
    # A rewritten full text may take anything away: material, and read before agreeing,
    # unless a second manager confirmed it changes wording only.
    body_material = bool(body) and editorial is None
    return {
        "old": old.number,
        "new": new.number,
        "fields": fields,
        "body": body,
        "body_changes": body_changes(old, new) if body else [],
        "summary": new.change_summary,
        "body_material": body_material,
        "editorial": editorial,
        "material": any(row["material"] for row in fields) or body_material,
        "worse": [row["label"] for row in fields if row["worse"]]
        + ([str(_("Full text"))] if body_material else []),
    }


def body_diff(old: TermsVersion, new: TermsVersion) -> list[str]:
    """The full text's change as unified diff lines (empty: the same text)."""

    return list(
        difflib.unified_diff(
            (old.body or "").splitlines(),
            (new.body or "").splitlines(),
            fromfile=f"v{old.number}",
            tofile=f"v{new.number}",
            lineterm="",
        )
    )


def body_changes(old: TermsVersion, new: TermsVersion, *, context: int = 2) -> list[dict]:
    """The full text's change as a reader follows it: blocks of removed and added lines
    between a few unchanged ones ({"kind": "removed" | "added" | "same" | "skipped",
    "lines"}); a long unchanged stretch is one "skipped" block saying how many lines."""
    a, b = (old.body or "").splitlines(), (new.body or "").splitlines()
    blocks = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            same = a[i1:i2]
            first, last = i1 == 0, i2 == len(a)
            keep_head = [] if first else same[:context]
            keep_tail = [] if last else same[-context:]
            if len(same) <= len(keep_head) + len(keep_tail) + 1:
                blocks.append({"kind": "same", "lines": same})
                continue
            if keep_head:
                blocks.append({"kind": "same", "lines": keep_head})
            hidden = len(same) - len(keep_head) - len(keep_tail)
            blocks.append({"kind": "skipped", "lines": [], "count": hidden})
            if keep_tail:
                blocks.append({"kind": "same", "lines": keep_tail})
            continue
        if tag in ("delete", "replace"):
            blocks.append({"kind": "removed", "lines": a[i1:i2]})
        if tag in ("insert", "replace"):
            blocks.append({"kind": "added", "lines": b[j1:j2]})
    return blocks


def _person(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else ""


def _editorial(old: TermsVersion, new: TermsVersion) -> dict | None:
    """Who confirmed that `new` changes the full text of `old` editorially, if anyone did
    for exactly these two texts."""
    confirmation = (
        EditorialConfirmation.objects.filter(
            terms__programme_id=new.programme_id, terms__number=new.number
        )
        .select_related("confirmed_by", "requested_by")
        .first()
    )
    if confirmation is None or not confirmation.holds_for(old.body, new.body):
        return None
    return {
        "confirmed_by": _person(confirmation.confirmed_by),
        "confirmed_at": confirmation.confirmed_at,
        "requested_by": _person(confirmation.requested_by),
    }


def describe_changes(diff: dict) -> str:
    """The changed terms as plain lines for an email: old → new, worse ones marked (in the
    language in force: the email's reader's)."""
    lines = [
        f"- {row['label']}: {row['old']} → {row['new']}"
        + (" " + _("(worse for you)") if row["worse"] else "")
        for row in diff["fields"]
    ]
    if diff["body"] and diff.get("editorial"):
        lines.append(
            "- "
            + _("The full text changed in wording only: editorial change confirmed by %(who)s.")
            % {"who": diff["editorial"]["confirmed_by"]}
        )
    elif diff["body"]:
        lines.append("- " + _("The full text changed: read it before you agree."))
    return "\n".join(lines) or "- " + _("Nothing in the terms changed.")


def terms_review(in_force: TermsVersion | None, terms: TermsVersion) -> dict:
    """What the terms editor shows beside a draft: the diff from the terms in force, the
    new passages of the full text beside the terms they touch, and the editorial
    confirmation of the saved draft (asked, confirmed, or out of date)."""
    confirmation = (
        EditorialConfirmation.objects.filter(
            terms__programme_id=terms.programme_id, terms__number=terms.number
        )
        .select_related("confirmed_by", "requested_by")
        .first()
    )
    return {
        "diff": terms_diff(in_force, terms) if in_force else None,
        "passages": watched_passages(terms, in_force),
        "editorial_request": confirmation,
    }


def _editorial_draft(actor, terms: TermsVersion) -> tuple[TermsVersion, TermsVersion]:
    terms = TermsVersion.objects.select_for_update().select_related("programme").get(pk=terms.pk)
    policy.require(actor, "manage", terms)
    if terms.is_published:
        raise DomainError(f"Version {terms.number} is already published.", code="published")
    in_force = current_terms(terms.programme)
    if in_force is None or (in_force.body or "") == (terms.body or ""):
        raise DomainError(
            "The full text of this draft is the same as the terms in force: there is no "
            "change to confirm."
        )
    return terms, in_force


@transaction.atomic
def terms_editorial_request(*, actor, terms: TermsVersion) -> EditorialConfirmation:
    """Ask the programme's other managers to confirm that the draft changes the full text
    in wording only. Until one does, the change is material."""
    terms, in_force = _editorial_draft(actor, terms)
    now = timezone.now()
    confirmation, _created = EditorialConfirmation.objects.update_or_create(
        terms=terms,
        defaults={
            "old_number": in_force.number,
            "old_body_hash": body_hash(in_force.body),
            "new_body_hash": body_hash(terms.body),
            "requested_by": actor,
            "requested_at": now,
            "confirmed_by": None,
            "confirmed_at": None,
        },
    )
    record(
        action="programs.terms.editorial_requested",
        obj=terms,
        actor=actor,
        programme=terms.programme,
        data={"number": terms.number, "new_body_hash": confirmation.new_body_hash},
    )
    url = reverse("programs:staff_terms_editorial", args=[terms.programme.slug, terms.number])
    for manager in policy.staff_of(terms.programme, "manage").exclude(pk=actor.pk):
        notify(
            user=manager,
            subject=f"{terms.programme.name}: is the change of the terms' full text editorial?",
            body=(
                f"{actor.email} asks you to confirm that draft version {terms.number} of the "
                f"terms of {terms.programme.name} changes the full text in wording only. "
                "Read the changes; confirm only if no tester gives or gets anything else. "
                "Otherwise the change is material: notice, then every tester's consent."
            ),
            url=url,
            dedupe_key=f"terms-editorial:{confirmation.pk}:{int(now.timestamp())}:{manager.pk}",
            programme=terms.programme,
        )
    return confirmation


@transaction.atomic
def terms_editorial_confirm(*, actor, terms: TermsVersion) -> EditorialConfirmation:
    """Another manager, having seen the diff, confirms the change is editorial. It holds
    for exactly the two texts seen: editing the draft again needs a new confirmation."""
    terms, in_force = _editorial_draft(actor, terms)
    confirmation = EditorialConfirmation.objects.select_for_update().filter(terms=terms).first()
    if confirmation is None:
        raise DomainError("Nobody asked for this change to be confirmed editorial.")
    if confirmation.requested_by_id == actor.pk:
        raise NotAllowed(
            "Another manager of the programme confirms an editorial change, not the one who asked.",
            code="same_person",
        )
    if not confirmation.is_about(in_force.body, terms.body):
        raise DomainError(
            "The full text changed since the confirmation was asked for; ask again.",
            code="stale",
        )
    confirmation.confirmed_by = actor
    confirmation.confirmed_at = timezone.now()
    confirmation.save(update_fields=["confirmed_by", "confirmed_at"])
    record(
        action="programs.terms.editorial_confirmed",
        obj=terms,
        actor=actor,
        programme=terms.programme,
        data={
            "number": terms.number,
            "requested_by": confirmation.requested_by_id,
            "old_body_hash": confirmation.old_body_hash,
            "new_body_hash": confirmation.new_body_hash,
        },
    )
    notify(
        user=confirmation.requested_by,
        subject=f"{terms.programme.name}: editorial change confirmed",
        body=(
            f"{actor.email} confirmed that draft version {terms.number} changes the full "
            "text in wording only. Published as it stands, it takes effect without a new "
            "consent; testers see who confirmed it, with the changes."
        ),
        url=reverse("programs:staff_terms_edit", args=[terms.programme.slug, terms.number]),
        dedupe_key=(
            f"terms-editorial-confirmed:{confirmation.pk}:"
            f"{int(confirmation.confirmed_at.timestamp())}"
        ),
        programme=terms.programme,
    )
    return confirmation
