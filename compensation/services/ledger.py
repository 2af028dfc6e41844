"""What every ledger write shares: amounts and currencies checked, one entry written once
(keyed by what it pays for), and the one way a correction is made (a reversal entry).

Money is never edited: an entry is corrected by a reversal of the negated amount that
points at it (`reverse_entry`), whoever asks for it (finance by hand, or a finding that
stopped counting as accepted).
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from core import currencies
from core.errors import DomainError
from participants.models import Participation
from programs.models import TermsVersion

from ..models import CENT, LedgerEntry

MAX_AMOUNT = Decimal("9999999999.99")
# Rows read per round trip by the accruals and the batch files.
CHUNK = 500
E = LedgerEntry.State


def checked_amount(value, *, field_name: str = "amount") -> Decimal:
    """A Decimal with cents, or a DomainError a person understands."""
    if isinstance(value, float):
        raise DomainError("Amounts are exact decimals, never floats.", field=field_name)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(f"“{value}” is not an amount.", field=field_name) from None
    if not amount.is_finite():
        raise DomainError(f"“{value}” is not an amount.", field=field_name)
    if amount != amount.quantize(CENT):
        raise DomainError("Amounts have at most two decimals (cents).", field=field_name)
    if abs(amount) > MAX_AMOUNT:
        raise DomainError("That amount is too large.", field=field_name)
    return amount.quantize(CENT)


def checked_currency(value: str) -> str:
    code = currencies.normalise(value)
    if not currencies.is_currency(code):
        raise DomainError(currencies.MESSAGE.format(code=code), field="currency")
    return code


def _accrue(
    *,
    participation: Participation,
    kind: str,
    amount: Decimal,
    currency: str,
    source_type: str,
    source_id: str,
    description: str,
    earned_on: date,
    idempotency_key: str,
    terms: TermsVersion | None = None,
    actor=None,
    reverses: LedgerEntry | None = None,
) -> tuple[LedgerEntry, bool]:
    """Write one entry unless its idempotency key is already in the ledger."""
    existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                participation=participation,
                programme_id=participation.programme_id,
                kind=kind,
                amount=amount,
                currency=currency,
                source_type=source_type,
                source_id=source_id,
                description=description[:300],
                earned_on=earned_on,
                idempotency_key=idempotency_key,
                terms_version=terms,
                created_by=actor,
                reverses=reverses,
            )
    except IntegrityError:
        # A concurrent run wrote the same key first.
        existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    record(
        action="compensation.entry.accrued",
        obj=entry,
        actor=actor,
        programme=participation.programme,
        subject=participation.user,
        data={
            "kind": kind,
            "amount": str(amount),
            "currency": currency,
            "source": f"{source_type}:{source_id}",
            "terms_version": terms.number if terms else None,
            "reverses": reverses.pk if reverses else None,
        },
    )
    return entry, True


def reverse_entry(entry: LedgerEntry, *, why: str, actor=None) -> LedgerEntry:
    """The reversal of `entry`: a new entry of the negated amount pointing at it, under the
    same terms, earned today. Keyed by the entry, so an entry is reversed at most once."""
    reversal, _ = _accrue(
        participation=entry.participation,
        kind=LedgerEntry.Kind.REVERSAL,
        amount=-entry.amount,
        currency=entry.currency,
        source_type="compensation.ledgerentry",
        source_id=str(entry.pk),
        description=f"Reversal of entry {entry.pk}: {why}",
        earned_on=timezone.localdate(),
        idempotency_key=f"reversal:{entry.pk}",
        terms=entry.terms_version,
        actor=actor,
        reverses=entry,
    )
    return reversal
