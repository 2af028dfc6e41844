"""What needs the staff's attention: counts that apps above contribute to the staff home.

The staff home lives in `programs`, a low layer that may not import the work apps. Each
app registers a counter in its AppConfig.ready() (`register(counter)`), as panels are
registered (core.panels); the home asks `collect(user)` and shows the counts per programme.

A counter is `counter(user, now) -> list[Attention]`: one grouped query over every
programme the person may act in, for the actions their roles allow (a counter reads through
`Model.objects.restrict(user, action)`, so a reviewer gets no pay counts and nobody counts
their own records). Only non-zero counts are returned.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone


@dataclass(frozen=True)
class Attention:
    programme_id: int
    order: int  # where it goes in a programme's row (review first, pay last)
    label: str  # "review items overdue"
    count: int
    url: str  # the list, filtered to exactly these items
    urgent: bool = False


def per_programme(items, *, order: int, label: str, url: Callable, also=()) -> list[Attention]:
    """The count of `items` (a queryset already restricted to what the person may act on)
    per programme, in one grouped query. `url(row)` gives the list filtered to exactly
    those items; `row` holds "programme_id" and the `also` columns (e.g. the slug)."""
    rows = items.order_by().values("programme_id", *also).annotate(n=Count("pk"))
    return [Attention(r["programme_id"], order, label, r["n"], url(r)) for r in rows]


_COUNTERS: list[Callable] = []


def register(counter: Callable) -> None:
    if counter not in _COUNTERS:
        _COUNTERS.append(counter)


def collect(user, now=None) -> dict[int, list[Attention]]:
    """programme id → its non-zero counts, in order."""
    now = now or timezone.now()
    out: dict[int, list[Attention]] = defaultdict(list)
    for counter in _COUNTERS:
        for item in counter(user, now):
            if item.count:
                out[item.programme_id].append(item)
    for items in out.values():
        items.sort(key=lambda a: a.order)
    return dict(out)
