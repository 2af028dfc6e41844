"""The dates the product accepts: one range for every form, filter, query parameter and API body.

Python's dates end at 9999-12-31, so a week or a period computed from a date near either
end overflows (a 500); no programme's work happened before 2000 or will after 2099.
"""

from datetime import date

from django.core.exceptions import BadRequest, ValidationError

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
OUT_OF_RANGE = f"Give a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}."


def validate_in_range(value) -> None:
    """A validator for form, serializer and model date fields."""
    day = value.date() if hasattr(value, "date") and callable(value.date) else value
    if day is not None and not (EARLIEST <= day <= LATEST):
        raise ValidationError(OUT_OF_RANGE, code="date_out_of_range")


def query_date(request, name: str, default: date) -> date:
    """`?name=YYYY-MM-DD`: missing or unreadable gives `default`; outside the range is a 400."""
    try:
        value = date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return default
    if not (EARLIEST <= value <= LATEST):
        raise BadRequest(f"?{name}= is out of range. {OUT_OF_RANGE}")
    return value
