"""Public pages of the figures: the programme's page (its terms and figures), the JSON and
CSV downloads, and the comparison of several programmes. Readable by anyone."""

import csv

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from core.csvsafe import safe_cell
from core.figures import duration
from core.languages import use_programme_language
from programs.models import Programme, TermsVersion
from programs.selectors import coming_versions, current_terms
from provenance.parts import programme_part

from . import figures as transparency


def _visible_programme(request, slug) -> Programme:
    programme = get_object_or_404(Programme.objects.restrict(request.user), slug=slug)
    use_programme_language(request, programme)
    return programme


def programme_detail(request, slug):
    programme = _visible_programme(request, slug)
    history = list(TermsVersion.objects.published().filter(programme=programme).order_by("-number"))
    snapshot = transparency.latest(programme)
    terms = current_terms(programme)
    # The terms' translation into the reader's language, if it has one (the binding text is
    # named beside it).
    shown = terms.translation(get_language()) if terms else None
    context = {
        "programme": programme,
        "terms": terms,
        "shown": shown,
        "shown_facts": terms.key_facts(shown.text()) if shown else None,
        "coming": coming_versions(programme),
        "history": history,
        "snapshot": snapshot,
        "figures": snapshot.figures,
        "charts": transparency.charts(snapshot.figures),
        "provenance_part": programme_part(request, programme, snapshot.figures),
    }
    return render(request, "transparency/detail.html", context)


def figures_json(request, slug):
    """The public figures as JSON, with their "as of" time."""
    programme = _visible_programme(request, slug)
    snapshot = transparency.latest(programme)
    return JsonResponse(
        snapshot.figures, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 1}
    )


def figures_csv(request, slug):
    """The public figures as CSV: one figure a line; withheld figures say so."""
    programme = _visible_programme(request, slug)
    snapshot = transparency.latest(programme)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{programme.slug}-figures.csv"'
    writer = csv.writer(response)
    writer.writerow(["figure", "value"])
    for name, value in transparency.flatten(snapshot.figures):
        writer.writerow([safe_cell(name), safe_cell(value)])
    return response


def compare(request):
    """Key facts and figures of several programmes side by side (?p=slug&p=slug…)."""
    visible = Programme.objects.restrict(request.user).order_by("name")
    chosen = request.GET.getlist("p") or list(visible.values_list("slug", flat=True)[:4])
    programmes = [p for p in visible.filter(slug__in=chosen[:6])]
    columns = []
    for programme in programmes:
        snapshot = transparency.latest(programme)
        columns.append({"programme": programme, "figures": snapshot.figures})
    return render(
        request,
        "transparency/compare.html",
        {"columns": columns, "all": visible, "chosen": chosen, "rows": _compare_rows(columns)},
    )


COMPARE_ROWS = [
    (_("Participants (active)"), ("participants", "active")),
    (_("Participants (withdrawn)"), ("participants", "withdrawn")),
    (_("Expected hours per week"), ("expected_hours_per_week",)),
]


def _shown_as(value, unit: str, programme):
    """A figure in the unit the programme page uses: a duration in words ("26 days"), money
    with its currency ("22.50 EUR")."""
    if unit == "duration":
        return duration(value)
    if unit == "money" and isinstance(value, int | float | str) and value != "":
        return f"{value} {programme.currency}"
    return value


def _compare_rows(columns):
    rows = []
    extra = []
    for column in columns:
        # A row is [label, path] or [label, path, unit] ("duration", "money").
        for label, path, *unit in column["figures"].get("compare", []):
            if [label, path, *unit] not in extra:
                extra.append([label, path, *unit])
    for label, path, *unit in [list(r) for r in COMPARE_ROWS] + extra:
        cells = []
        for column in columns:
            value = column["figures"]
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, dict) and value.get(transparency.WITHHELD):
                value = gettext("withheld (fewer than %(n)d people)") % {
                    "n": transparency.MIN_GROUP
                }
            elif value not in (None, "") and unit:
                value = _shown_as(value, unit[0], column["programme"])
            cells.append("—" if value in (None, "") else value)
        rows.append((label, cells))
    return rows
