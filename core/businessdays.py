"""Business days: weekdays that are not public holidays of a programme's calendar.

Response targets in the terms are counted in business days (`TermsVersion.RESPONSE_TARGETS`),
so "within 5 business days" means the same thing to a tester in France over Easter as on an
ordinary week. The calendar is a country (ISO 3166 alpha-2, `Programme.holiday_calendar`)
of the `holidays` package; none means weekends only.
"""

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
import pycountry
from django.core.exceptions import ValidationError


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    if not country:
        return frozenset()
    return frozenset(holidays.country_holidays(country, years=year))


def is_business_day(day: date, country: str = "") -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_business_days(start: datetime, days: int, country: str = "") -> datetime:
    """The moment `days` business days after `start`, at the same time of day: a target
    started on Thursday evening with 2 business days falls on Monday evening, or on
    Tuesday evening when Monday is a holiday."""
    moment, left = start, days
    while left > 0:
        moment += timedelta(days=1)
        if is_business_day(moment.date(), country):
            left -= 1
    return moment


def not_counted(country: str) -> str:
    """What a business-day count skips, for a sentence: "weekends and public holidays in
    France", or "weekends" without a calendar."""
    if not country:
        return "weekends"
    found = pycountry.countries.get(alpha_2=country)
    return f"weekends and public holidays in {found.name if found else country}"


def validate_calendar(value: str) -> None:
    """A country code the `holidays` package knows (FR, DE, US, GB, …), or empty."""
    if value and value not in holidays.list_supported_countries():
        raise ValidationError(
            f"“{value}” is not a country with a holiday calendar; use a two-letter code "
            "such as FR, DE, GB or US, or leave it empty for weekends only.",
            code="calendar",
        )
