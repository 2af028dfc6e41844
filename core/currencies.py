"""Real currencies: the ISO 4217 list, as kept by pycountry, and their minor units.

Every place a currency is entered (programme settings, terms, awards, payout batches, the
API) asks this module, so `ABC` or `XXX` never reaches the ledger, a batch or a public
page. ISO 4217 also lists codes that are not money anyone can be paid in: precious metals,
bond-market units, the IMF's SDR, the testing code and "no currency"; they are refused.

An amount has at most as many decimals as its currency's minor unit (ISO 4217's
"exponent", from the `iso4217` package: 2 for EUR, 0 for JPY, 3 for KWD) and as the money
columns store (2). More is refused, never rounded: 0.004 EUR would be stored as 0.00.
"""

from decimal import Decimal, InvalidOperation
from functools import cache

import pycountry
from django.core.exceptions import ValidationError
from iso4217 import Currency

NOT_MONEY = frozenset(
    {"XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX"}
)
MESSAGE = "“{code}” is not an ISO 4217 currency code; use one like EUR, USD or GBP."


@cache
def codes() -> frozenset[str]:
    """Every ISO 4217 code people can be paid in."""
    return frozenset(c.alpha_3 for c in pycountry.currencies) - NOT_MONEY


def normalise(value) -> str:
    return str(value or "").strip().upper()


def is_currency(value) -> bool:
    return normalise(value) in codes()


def validate_currency(value) -> None:
    """A model and form field validator (the stored value is already upper case)."""
    if not is_currency(value):
        raise ValidationError(MESSAGE.format(code=value), code="currency")


def choices() -> list[tuple[str, str]]:
    """(code, "code: name") for a select box, in code order."""
    names = {c.alpha_3: c.name for c in pycountry.currencies}
    return [(code, f"{code}: {names[code]}") for code in sorted(codes())]


# Every money column (ledger, terms, awards, batches) has two decimal places.
STORED_DECIMALS = 2


@cache
def decimals(code) -> int:
    """ISO 4217's minor unit of `code`: 2 for EUR, 0 for JPY, 3 for KWD (2 when unknown)."""
    try:
        exponent = Currency(normalise(code)).exponent
    except (ValueError, KeyError):
        return STORED_DECIMALS
    return STORED_DECIMALS if exponent is None else exponent


def amount_error(amount, code) -> str | None:
    """Why `amount` cannot be written as an amount of `code` (None: it can), so nothing is
    ever rounded without the person seeing it."""
    if amount in (None, ""):
        return None
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return f"“{amount}” is not an amount."
    if not value.is_finite():
        return f"“{amount}” is not an amount."
    places = min(decimals(code), STORED_DECIMALS)
    if value == value.quantize(Decimal(1).scaleb(-places)):
        return None
    if places == 0:
        return (
            f"{amount} {normalise(code)} has decimals, but {normalise(code)} has no minor "
            "unit: give a whole amount (nothing is rounded for you)."
        )
    return (
        f"{amount} {normalise(code)} has more than {places} decimals: give at most {places} "
        "(nothing is rounded for you)."
    )
