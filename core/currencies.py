"""Real currencies: the ISO 4217 list, as kept by pycountry.

Every place a currency is entered (programme settings, terms, awards, payout batches, the
API) asks this module, so `ABC` or `XXX` never reaches the ledger, a batch or a public
page. ISO 4217 also lists codes that are not money anyone can be paid in: precious metals,
bond-market units, the IMF's SDR, the testing code and "no currency"; they are refused.
"""

from functools import cache

import pycountry
from django.core.exceptions import ValidationError

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
