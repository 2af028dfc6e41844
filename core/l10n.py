"""Dates, numbers and money in the reader's language (Babel, with CLDR's data).

One helper for every page and email that shows an amount or a date to a person: the key
facts, the consent screen, the statement. Money has its currency's own decimals (ISO 4217,
`core.currencies`: ¥1,500, not ¥1,500.00), whatever the language's pattern pads to.
"""

import copy
from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_decimal
from django.conf import settings
from django.utils import timezone, translation

from . import currencies


def english(label) -> str:
    """A model choice's label in English, whoever is reading: for the text that is stored
    (ledger descriptions, notifications, incident mails), which must not depend on the
    language of the person whose action wrote it. Pages show the label itself, in the
    reader's language. `label` is a lazy label (`Kind.GRANT.label`) or a record's bound
    `get_X_display` (not called: Django translates its result when it is called)."""
    with translation.override("en"):
        return str(label() if callable(label) else label)


def locale() -> Locale:
    """The Babel locale of the language in force (en-gb → en_GB)."""
    code = translation.get_language() or settings.LANGUAGE_CODE
    return Locale.parse(translation.to_locale(code))


def money(amount, currency: str) -> str:
    """`amount` of `currency` as a reader of the language writes it: €1,500.00, 1 500,00 €,
    ￥1,500."""
    amount = Decimal(str(amount))
    places = min(currencies.decimals(currency), currencies.STORED_DECIMALS)
    loc = locale()
    pattern = copy.copy(loc.currency_formats["standard"])
    pattern.frac_prec = (places, places)
    return pattern.apply(amount, loc, currency=currency, currency_digits=False)


def number(value) -> str:
    return format_decimal(Decimal(str(value)).normalize(), locale=locale())


def day(value: date | datetime) -> str:
    """A date in full words of the language: 7 December 2026, 2026年12月7日."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return babel_date(value, format="long", locale=locale())


def moment(value: datetime) -> str:
    """A date and time in the reader's time zone (core.timezones: their setting, else their
    browser's, else UTC), labelled with the zone's abbreviation as the templates' `T` does."""
    local = timezone.localtime(value)
    text = babel_datetime(local, format="medium", tzinfo=local.tzinfo, locale=locale())
    return f"{text} {local.tzname()}"
