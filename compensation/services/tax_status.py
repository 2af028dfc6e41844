"""Tax status: the form a payee gave a programme whose terms require one, sent by the payee in
the product or recorded by finance, and the rule that pay earned under terms that require a
form waits out of the payout batches until a valid one is held. Pay earned under terms without
the requirement is never held, whatever later versions say (`TermsVersion.tax_forms`)."""

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from audit.services import record
from core.encryption import encrypt_bytes
from core.errors import DomainError, NotAllowed
from core.l10n import english
from core.services import notify
from core.uploads import sha256_of, validate_upload
from participants.models import Participation
from programs import policy
from programs.models import Programme, TermsVersion

from ..models import TaxStatus
from ..selectors import forms_asked

MAX_TAX_DOCUMENT_BYTES = 5 * 1024 * 1024
TAX_DOCUMENT_TYPES = set(TaxStatus.EXTENSIONS)


def without_tax_status_owed(entries, programmes, *, on: date | None = None):
    """The entries without those a tax form still holds: pay earned under a terms version
    that requires one (the entry's `terms_version`), of a payee without a valid status of a
    kind that version accepts."""
    on = on or timezone.localdate()
    valid = TaxStatus.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
    versions = TermsVersion.objects.filter(programme__in=programmes).only(
        "pk", "programme_id", "tax_forms"
    )
    for terms in versions:
        if not terms.tax_forms:
            continue
        cleared = valid.filter(
            participation__programme_id=terms.programme_id, kind__in=terms.tax_forms
        )
        entries = entries.exclude(
            Q(terms_version=terms) & ~Q(participation_id__in=cleared.values("participation_id"))
        )
    return entries


def _keep_document(status: TaxStatus, document) -> None:
    """Check a form's copy by its content and keep it encrypted in the status."""
    if document.size > MAX_TAX_DOCUMENT_BYTES:
        raise DomainError(
            f"The document is {document.size / 1_048_576:.1f} MB; the limit is 5 MB.",
            field="document",
        )
    try:
        mime = validate_upload(document, allowed=TAX_DOCUMENT_TYPES)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], field="document") from None
    status.document_sha256 = sha256_of(document)
    document.seek(0)
    status.document_secret = encrypt_bytes(document.read())
    status.document_type = mime


def _check_kind_and_date(participation, kind: str, valid_until) -> None:
    accepted = forms_asked(participation) or Programme.TaxForm.values
    if kind not in accepted:
        names = ", ".join(str(Programme.TaxForm(k).label) for k in accepted)
        raise DomainError(f"{participation.programme.name} accepts: {names}.", field="kind")
    if valid_until is not None and valid_until < timezone.localdate():
        raise DomainError(
            f"That status expired on {valid_until:%Y-%m-%d}; record one that is valid.",
            field="valid_until",
        )


@transaction.atomic
def tax_form_send(
    *, actor, programme: Programme, kind: str, document, valid_until: date | None = None
) -> TaxStatus:
    """The payee sends the tax form their terms ask for, in the product: a signed copy, checked
    by its content and stored encrypted (the storage of payout and tax details). It is their
    status from now on, so their pay held for it goes into the next payout; the programme's
    finance is told that it arrived (and may record a correction). Audited."""
    participation = (
        Participation.objects.select_for_update()
        .select_related("programme", "user")
        .filter(user=actor, programme=programme)
        .first()
        if actor is not None and actor.is_authenticated
        else None
    )
    if participation is None:
        raise NotAllowed(f"Only a participant of {programme.name} sends a tax form to it.")
    _check_kind_and_date(participation, kind, valid_until)
    if document is None:
        raise DomainError("Attach the signed form (PDF, PNG or JPEG).", field="document")
    status = TaxStatus.objects.filter(participation=participation).first() or TaxStatus(
        participation=participation
    )
    _keep_document(status, document)
    status.kind, status.valid_until, status.recorded_by = kind, valid_until, actor
    status.save()
    record(
        action="compensation.tax_status.sent",
        obj=status,
        actor=actor,
        programme=programme,
        subject=actor,
        data={"kind": kind, "valid_until": valid_until, "document_sha256": status.document_sha256},
    )
    for person in policy.staff_of(programme, "payouts").exclude(pk=actor.pk):
        notify(
            user=person,
            subject=f"A tax form arrived from {actor.email} ({programme.name})",
            body=f"{actor.email} sent their {english(status.get_kind_display)} in the "
            "product. Their pay held for it goes into the next batch; check the form and "
            "record a correction if it is not right.",
            dedupe_key=f"compensation.tax_form:{status.pk}:{person.pk}:{uuid.uuid4().hex}",
            url=reverse("compensation:tax_status", args=[participation.pk]),
            programme=programme,
        )
    return status


@transaction.atomic
def tax_status_record(
    *,
    actor,
    participation: Participation,
    kind: str,
    valid_until: date | None = None,
    document=None,
) -> TaxStatus:
    """Finance records the tax status a payee gave the programme, with an optional copy of the
    form (checked by its content, stored encrypted). A later record replaces the earlier one;
    a record without a document keeps the document already held. Audited; the payee is told.
    """
    participation = Participation.objects.select_related("programme", "user").get(
        pk=participation.pk
    )
    policy.require(actor, "record", TaxStatus(participation=participation))
    programme = participation.programme
    _check_kind_and_date(participation, kind, valid_until)
    status = TaxStatus.objects.select_for_update().filter(participation=participation).first()
    created = status is None
    if created:
        status = TaxStatus(participation=participation)
    if document is not None:
        _keep_document(status, document)
    status.kind = kind
    status.valid_until = valid_until
    status.recorded_by = actor
    status.save()
    record(
        action="compensation.tax_status.recorded",
        obj=status,
        actor=actor,
        programme=programme,
        subject=participation.user,
        data={
            "kind": kind,
            "valid_until": valid_until,
            "document": bool(status.document_secret),
            "document_sha256": status.document_sha256,
            "new": created,
        },
    )
    valid = f", valid until {valid_until:%Y-%m-%d}" if valid_until else ""
    notify(
        user=participation.user,
        subject=f"Your tax status for {programme.name} is recorded",
        body=f"Finance recorded your {english(status.get_kind_display)}{valid}. Your "
        "approved pay goes into the next payout.",
        dedupe_key=f"compensation.tax_status:{status.pk}:{uuid.uuid4().hex}",
        url=reverse("compensation:statement"),
        programme=programme,
    )
    return status
