"""The arithmetic and the withholding rule of public figures, shared by every app that
contributes a section to them (see `transparency.figures`).

Any figure that rests on fewer than `MIN_GROUP` participants is withheld and says
so, so that nobody can be singled out. Imports no app.
"""

import math
import statistics
from decimal import Decimal

from django.db.models import Aggregate, Count

from .db import fast_path

MIN_GROUP = 5
WITHHELD = "withheld"


def withheld(reason: str = f"fewer than {MIN_GROUP} participants") -> dict:
    return {WITHHELD: True, "reason": reason}


def guard(value, group_size: int):
    """The value, or a withheld marker when fewer than MIN_GROUP people stand behind it."""
    if group_size < MIN_GROUP:
        return withheld()
    return value


def shown(value, missing: str):
    """What the public page shows for a figure that does not exist (the JSON keeps null)."""
    return missing if value is None else value


def duration(hours):
    """A span of hours as a person says it: "45 minutes", "5.5 hours", "26 days".

    The JSON keeps the number of hours; the public page and its CSV show this. Anything
    that is not a number (withheld, "no decisions yet") passes through unchanged.
    """
    if isinstance(hours, bool) or not isinstance(hours, int | float | Decimal):
        return hours
    hours = float(hours)
    if hours < 1:
        minutes = round(hours * 60)
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    if hours < 48:
        text = f"{hours:.1f}".removesuffix(".0")
        return f"{text} hour{'' if text == '1' else 's'}"
    days = hours / 24
    text = f"{days:.0f}" if days >= 10 else f"{days:.1f}".removesuffix(".0")
    return f"{text} days"


def quantile(values: list, q: float):
    """Nearest-rank quantile of a sorted list: the ⌈q·n⌉-th value (None when empty)."""
    if not values:
        return None
    rank = max(1, math.ceil(q * len(values)))
    return values[min(rank, len(values)) - 1]


def median(values: list):
    return statistics.median(values) if values else None


class PercentileDisc(Aggregate):
    """PostgreSQL's `percentile_disc(q) WITHIN GROUP (ORDER BY x)`: the ⌈q·n⌉-th value.

    That is `quantile()` exactly (PostgreSQL also computes ⌈q·n⌉ in double precision).
    """

    function = "percentile_disc"
    name = "PercentileDisc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("a fraction between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def median_and_quantile(
    queryset, expression, q: float = 0.9, *, convert=None, where=None, also=None
):
    """(n, median, q-quantile, also) of `expression` over the rows of `queryset` (those
    matching `where`, if given), as median() and quantile() give them for the sorted list
    of its non-null values (None when there are none); `also` is a dict of further
    aggregates over `queryset`, computed in the same query where possible.

    `convert` turns a database value into the figure's (hours from a duration, say); it
    must never decrease as the value grows, so that it commutes with sorting. On
    PostgreSQL three order statistics are computed in the database (one sort) and only
    they are converted; elsewhere (SQLite) every value is loaded and sorted here. Both
    paths give the same numbers: median() of a sorted list is its middle value or the
    mean of its two middle values, the ⌈n/2⌉-th and the (⌊n/2⌋ + 1)-th.
    """
    convert = convert or (lambda value: value)
    also = also or {}
    return fast_path(
        queryset.db,
        postgresql=lambda: _in_database(queryset, expression, q, convert, where, also),
        plain=lambda: _in_python(queryset, expression, q, convert, where, also),
    )


def _in_database(queryset, expression, q, convert, where, also):
    """`median_and_quantile` by three order statistics computed in PostgreSQL (one sort)."""
    row = queryset.aggregate(
        _n=Count(expression, filter=where),
        _low=PercentileDisc(expression, 0.5, filter=where),
        # The ⌈(0.5 + 1e-9)·n⌉-th value is the upper middle for even n and the middle
        # for odd n (exact below 5·10⁸ rows); ascending like the others, so PostgreSQL
        # sorts the values once for all three.
        _high=PercentileDisc(expression, 0.5 + 1e-9, filter=where),
        _top=PercentileDisc(expression, q, filter=where),
        **also,
    )
    extra = {key: row[key] for key in also}
    n = row["_n"]
    if not n:
        return 0, None, None, extra
    low, high = convert(row["_low"]), convert(row["_high"])
    return n, (low if n % 2 else (low + high) / 2), convert(row["_top"]), extra


def _in_python(queryset, expression, q, convert, where, also):
    """`median_and_quantile` by loading and sorting every value here."""
    extra = queryset.aggregate(**also) if also else {}
    rows = queryset.filter(where) if where is not None else queryset
    values = sorted(
        convert(v) for v in rows.order_by().values_list(expression, flat=True) if v is not None
    )
    return len(values), median(values), quantile(values, q), extra


def as_text(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)
