"""Exchange rates finance records, and the one conversion the two-person limit uses.

A rate says what one unit of a currency is worth in a programme's currency from a day on,
and where the figure comes from (the ECB's reference rate of that day, a bank's rate). It
is recorded once per pair and day, audited; a later rate for the same pair supersedes it
from its own day. A conversion uses the latest rate valid on the day of the entry; without
one it refuses, saying which rate is missing.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from audit.services import record
from core.errors import DomainError, NotAllowed
from programs import policy

from ..models import CENT, ExchangeRate
from .ledger import checked_currency


def rate_on(currency: str, into: str, day: date) -> Decimal:
    """What one `currency` is worth in `into` on `day`, or a DomainError naming the rate."""
    if currency == into:
        return Decimal(1)
    rate = (
        ExchangeRate.objects.filter(currency=currency, programme_currency=into, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise DomainError(
            f"No exchange rate from {currency} to {into} valid on {day.isoformat()} is "
            "recorded, so this pay cannot be weighed against the programme's two-person "
            "limit. Finance records the rate (Finance → Exchange rates) first."
        )
    return rate


def convert(amount: Decimal, currency: str, into: str, day: date) -> Decimal:
    """`amount` in `currency` expressed in `into` at the rate valid on `day`, to the cent."""
    return (amount * rate_on(currency, into, day)).quantize(CENT)


@transaction.atomic
def rate_record(
    *, actor, currency: str, programme_currency: str, rate, valid_from: date, source: str
) -> ExchangeRate:
    """Record one rate (finance of some programme, with two-factor). Never edited: a
    correction is a rate of a later day."""
    policy.require_two_factor(actor)
    if not policy.any_role(actor, "payouts"):
        raise NotAllowed("Only finance records exchange rates.")
    currency = checked_currency(currency)
    programme_currency = checked_currency(programme_currency)
    if currency == programme_currency:
        raise DomainError("A rate converts one currency into another.", field="currency")
    try:
        rate = Decimal(str(rate).strip())
    except InvalidOperation:
        raise DomainError(f"“{rate}” is not a rate.", field="rate") from None
    if not rate.is_finite() or rate <= 0 or rate != rate.quantize(Decimal("0.00000001")):
        raise DomainError("A rate is a positive number with at most 8 decimals.", field="rate")
    if rate >= Decimal("10000000000"):
        raise DomainError("That rate is too large.", field="rate")
    source = (source or "").strip()
    if not source:
        raise DomainError("Say where the rate comes from.", field="source")
    try:
        with transaction.atomic():
            row = ExchangeRate.objects.create(
                currency=currency,
                programme_currency=programme_currency,
                rate=rate,
                valid_from=valid_from,
                source=source[:200],
                recorded_by=actor,
            )
    except IntegrityError:
        raise DomainError(
            f"A rate from {currency} to {programme_currency} from {valid_from.isoformat()} is "
            "already recorded; record a correction from a later day.",
            field="valid_from",
        ) from None
    record(
        action="compensation.rate.recorded",
        obj=row,
        actor=actor,
        data={
            "currency": currency,
            "into": programme_currency,
            "rate": str(rate),
            "valid_from": valid_from,
            "source": row.source,
        },
    )
    return row
