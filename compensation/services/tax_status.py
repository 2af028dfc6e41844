"""Tax status: the form a payee gave a programme that requires one, recorded by finance,
and the rule that a payee without a valid one waits out of the payout batches."""

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from audit.services import record
from core.encryption import encrypt_bytes
from core.errors import DomainError
from core.services import notify
from core.uploads import sha256_of, validate_upload
from participants.models import Participation
from programs import policy
from programs.models import Programme

from ..models import TaxStatus

MAX_TAX_DOCUMENT_BYTES = 5 * 1024 * 1024
TAX_DOCUMENT_TYPES = set(TaxStatus.EXTENSIONS)


def without_tax_status_owed(entries, programmes, *, on: date | None = None):
    """The entries without those of payees who still owe their programme a tax status."""
    on = on or timezone.localdate()
    for programme in programmes:
        if not programme.tax_forms:
            continue
        cleared = TaxStatus.objects.filter(
            participation__programme=programme, kind__in=programme.tax_forms
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        entries = entries.exclude(
            Q(programme=programme) & ~Q(participation_id__in=cleared.values("participation_id"))
        )
    return entries


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
    accepted = programme.tax_forms or Programme.TaxForm.values
    if kind not in accepted:
        names = ", ".join(str(Programme.TaxForm(k).label) for k in accepted)
        raise DomainError(f"{programme.name} accepts: {names}.", field="kind")
    if valid_until is not None and valid_until < timezone.localdate():
        raise DomainError(
            f"That status expired on {valid_until:%Y-%m-%d}; record one that is valid.",
            field="valid_until",
        )
    status = TaxStatus.objects.select_for_update().filter(participation=participation).first()
    created = status is None
    if created:
        status = TaxStatus(participation=participation)
    if document is not None:
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
        body=f"Finance recorded your {status.get_kind_display()}{valid}. Your approved pay "
        "goes into the next payout.",
        dedupe_key=f"compensation.tax_status:{status.pk}:{uuid.uuid4().hex}",
        url=reverse("compensation:statement"),
        programme=programme,
    )
    return status
