"""The public figures of a programme: whether its terms are fair, and kept.

Figures are computed by aggregations in the database, stored as a snapshot
with its time ("as of"), refreshed by a periodic task, and read by the public
page, its JSON and CSV downloads, and the comparison page. Any figure that
rests on fewer than `MIN_GROUP` participants is withheld and says so, so that
nobody can be singled out (the rule and the arithmetic are in `core.figures`).

Each app contributes the section about its own records through a function
`transparency_section(programme) -> dict` in its `selectors.py`, imported here and
listed in `SECTION_PROVIDERS`; this module holds the sections about membership, pauses
and terms and the snapshot machinery. The snapshots are `programs.TransparencySnapshot`.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from approvals.selectors import transparency_section as approvals_section
from compensation.floor import floor_figures
from core.db import set_local_work_mem
from core.figures import (  # noqa: F401 - the names pages and tests read from here
    MIN_GROUP,
    WITHHELD,
    PercentileDisc,
    as_text,
    guard,
    median,
    median_and_quantile,
    quantile,
    shown,
    withheld,
)
from feedback.selectors import transparency_section as feedback_section
from labour.selectors import transparency_section as labour_section
from participants.models import AccessPause, Invitation, Participation
from programs.models import Programme, TermsVersion, TransparencySnapshot
from programs.selectors import current_terms
from provenance.selectors import transparency_section as provenance_section
from publicity.selectors import transparency_section as publicity_section
from recourse.selectors import transparency_section as recourse_section

from .pay import pay_section

# Keys that every provider appends to: page sections, charts, rows of the comparison page.
# A section is {"title": str, "rows": [[label, value], …]}; a chart {"title", "items": [[label,
# number], …], "unit"}; a comparison row [label, [path, …]] into the figures.
LIST_KEYS = ("sections", "charts", "compare")

# The apps' section providers, in page order. A tuple is one block: its providers'
# figures come first, then their sections, charts and comparison rows (labour and
# tickets were one provider before the labour log got its own app).
SECTION_PROVIDERS = [
    (labour_section, feedback_section),
    (approvals_section,),
    # The response targets of the terms, kept or missed (tickets' triage, contests).
    (recourse_section,),
    # Pay is this app's own: labour pay apart from prizes, grants and fees (`pay`).
    (pay_section,),
    (publicity_section,),
    (provenance_section,),
]


def participants_section(programme) -> dict:

    counts = dict(
        Participation.objects.filter(programme=programme)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    invited = Invitation.objects.filter(programme=programme).count()
    total = sum(counts.values())
    return {
        "total": total,
        "invited": invited,
        "active": counts.get("active", 0),
        "paused": counts.get("paused", 0),
        "withdrawn": guard(counts.get("withdrawn", 0), total),
        "removed": guard(counts.get("removed", 0), total),
    }


def pauses_section(programme) -> dict:

    now = timezone.now()
    wide = []
    for pause in AccessPause.objects.filter(programme=programme, participation__isnull=True):
        end = pause.ended_at or now
        wide.append(
            {
                "reason": pause.reason,
                "from": pause.starts_at.isoformat(),
                "to": pause.ended_at.isoformat() if pause.ended_at else None,
                "hours": round((end - pause.starts_at).total_seconds() / 3600, 1),
            }
        )
    individual = AccessPause.objects.filter(
        programme=programme, participation__isnull=False
    ).aggregate(n=Count("pk"), people=Count("participation", distinct=True))
    return {
        "programme_wide": wide,
        # Individual pauses are counted, never listed: their reasons are about one person.
        "individual_pauses": guard(individual["n"], individual["people"] or 0)
        if individual["n"]
        else 0,
    }


def terms_section(programme) -> dict:

    versions = TermsVersion.objects.published().filter(programme=programme).order_by("number")
    return {
        "versions": [
            {
                "number": t.number,
                "published_at": t.published_at.isoformat(),
                "effective_at": t.effective_at.isoformat(),
                "material_change": t.material_change,
                "content_hash": t.content_hash,
            }
            for t in versions
        ],
    }


def pay_floor_section(programme) -> dict | None:
    """Whether the terms' pay floor held in the last complete months, and how much was topped
    up (`compensation.floor`). How many people and how much are withheld for a month in which
    fewer than MIN_GROUP people worked; whether it held is not about anyone in particular."""

    figures = floor_figures(programme)
    if figures is None:
        return None
    rows = [
        [
            "Minimum hourly pay in the terms",
            f"{figures['floor']} {figures['currency']}" if figures["floor"] else "none now",
        ]
    ]
    for month in figures["periods"]:
        group = month["people_with_hours"]
        month["people_topped_up"] = guard(month["people_topped_up"], group)
        month["topped_up"] = guard(month["topped_up"], group)
        if not group:
            text = "no confirmed hours"
        elif month["held_without_top_up"]:
            text = "held: nobody's pay fell below it"
        elif group < MIN_GROUP:
            text = f"topped up (amount withheld: fewer than {MIN_GROUP} people worked)"
        else:
            text = (
                f"topped up {month['topped_up']} {month['currency']} for "
                f"{month['people_topped_up']} of {group} people"
            )
        rows.append([f"Pay floor in {month['period']}", text])
    if not figures["periods"]:
        rows.append(["Pay floor", "no complete month under a floor yet"])
    return {"figures": figures, "section": {"title": "Pay floor", "rows": rows}}


def compute_figures(programme) -> dict:
    """Every figure of one programme, computed now."""

    terms = current_terms(programme)
    figures = {
        "programme": programme.slug,
        "name": programme.name,
        "currency": programme.currency,
        "reference_hourly_rate": as_text(programme.reference_hourly_rate) or None,
        "as_of": timezone.now().isoformat(),
        "min_group": MIN_GROUP,
        "key_facts": terms.key_facts() if terms else [],
        "expected_hours_per_week": as_text(terms.expected_hours_per_week) if terms else None,
        "participants": participants_section(programme),
        "pauses": pauses_section(programme),
        "terms": terms_section(programme),
    }
    for providers in SECTION_PROVIDERS:
        block: dict = {}
        lists: dict = {}
        for provider in providers:
            for key, value in provider(programme).items():
                if key in LIST_KEYS:
                    lists.setdefault(key, []).extend(value)
                else:
                    block[key] = value
        for key, value in (block | lists).items():
            if key in LIST_KEYS:
                figures.setdefault(key, []).extend(value)
            else:
                figures[key] = value
    floor = pay_floor_section(programme)
    if floor is not None:
        figures["pay_floor"] = floor["figures"]
        figures.setdefault("sections", []).append(floor["section"])
    return figures


def refresh(programme):
    """Compute and store a new snapshot; the page reads the newest one."""

    with transaction.atomic():
        # The medians sort a few hundred thousand values of the largest programmes: in
        # memory rather than the default's spill to disk.
        set_local_work_mem("64MB")
        figures = compute_figures(programme)
    return TransparencySnapshot.objects.create(programme=programme, figures=figures)


def latest(programme, *, max_age_seconds: int | None = None):
    """The newest snapshot, computing one now if there is none (or it is too old)."""

    snapshot = (
        TransparencySnapshot.objects.filter(programme=programme).order_by("-computed_at").first()
    )
    if snapshot is None or (
        max_age_seconds is not None
        and (timezone.now() - snapshot.computed_at).total_seconds() > max_age_seconds
    ):
        snapshot = refresh(programme)
    return snapshot


def flatten(figures: dict, prefix: str = "") -> list[tuple[str, str]]:
    """(figure, value) rows for the CSV download; withheld figures say so."""
    rows = []
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value.get(WITHHELD):
            rows.append((name, f"withheld ({value['reason']})"))
        elif isinstance(value, dict):
            rows.extend(flatten(value, f"{name}."))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    rows.extend(flatten(item, f"{name}.{i}."))
                elif isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str):
                    # A displayed row or a chart bar: [label, value] is a figure named by its label.
                    rows.extend(flatten({item[0]: item[1]}, f"{name}."))
                elif isinstance(item, list | tuple):
                    rows.append((f"{name}.{i}", " / ".join(as_text(part) for part in item)))
                else:
                    rows.append((f"{name}.{i}", as_text(item)))
        else:
            rows.append((name, as_text(value)))
    return rows


def public_programmes_query():

    return Programme.objects.filter(~Q(status=Programme.Status.DRAFT))


def bar_chart(title: str, items: list[tuple[str, object]], *, unit: str = "") -> dict | None:
    """A horizontal bar chart for the SVG template; bars carry their numbers as text."""
    values = [(label, value) for label, value in items if isinstance(value, int | float | Decimal)]
    if not values:
        return None
    top = max(float(v) for _, v in values) or 1.0
    bars = []
    for i, (label, value) in enumerate(values):
        bars.append(
            {
                "label": str(label),
                "value": value,
                "text": f"{as_text(value) if not isinstance(value, int) else value}{unit}",
                "width": round(float(value) / top * 100, 1),
                # Each label has a line of its own above its bar, so it is never cut short.
                "y": i * BAR_STEP,
            }
        )
    return {"title": title, "bars": bars, "height": len(bars) * BAR_STEP}


BAR_STEP = 46


def charts(figures: dict) -> list[dict]:
    """The charts of the public page, from a snapshot's figures."""
    out = []
    p = figures.get("participants", {})
    labels = {
        "invited": _("Invited"),
        "active": pgettext("participants", "Active"),
        "paused": _("Paused"),
        "withdrawn": _("Withdrawn"),
        "removed": _("Removed"),
    }
    chart = bar_chart(
        _("Participants by status"), [(label, p.get(k)) for k, label in labels.items()]
    )
    if chart:
        out.append(chart)
    for spec in figures.get("charts", []):
        chart = bar_chart(
            spec["title"], [tuple(x) for x in spec["items"]], unit=spec.get("unit", "")
        )
        if chart:
            out.append(chart)
    return out
