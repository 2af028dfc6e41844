"""Public pages: every programme's terms, history and diffs, readable by anyone."""

import csv

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from core.csvsafe import safe_cell

from . import transparency
from .models import Programme, TermsVersion
from .selectors import current_terms, upcoming_terms
from .services import terms_diff


def programme_list(request):
    programmes = list(Programme.objects.visible_to(request.user).order_by("name"))
    now = timezone.now()
    latest = {}
    for terms in (
        TermsVersion.objects.effective(now)
        .filter(programme__in=programmes)
        .select_related("programme")
        .order_by("programme_id", "number")
    ):
        latest[terms.programme_id] = terms  # the last one per programme wins
    rows = [(p, latest.get(p.pk)) for p in programmes]
    return render(request, "programs/list.html", {"rows": rows})


def _visible_programme(request, slug) -> Programme:
    return get_object_or_404(Programme.objects.visible_to(request.user), slug=slug)


def programme_detail(request, slug):
    programme = _visible_programme(request, slug)
    history = list(TermsVersion.objects.published().filter(programme=programme).order_by("-number"))
    snapshot = transparency.latest(programme)
    context = {
        "programme": programme,
        "terms": current_terms(programme),
        "upcoming": upcoming_terms(programme),
        "history": history,
        "snapshot": snapshot,
        "figures": snapshot.figures,
        "charts": transparency.charts(snapshot.figures),
    }
    return render(request, "programs/detail.html", context)


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
    visible = Programme.objects.visible_to(request.user).order_by("name")
    chosen = request.GET.getlist("p") or list(visible.values_list("slug", flat=True)[:4])
    programmes = [p for p in visible.filter(slug__in=chosen[:6])]
    columns = []
    for programme in programmes:
        snapshot = transparency.latest(programme)
        columns.append({"programme": programme, "figures": snapshot.figures})
    return render(
        request,
        "programs/compare.html",
        {"columns": columns, "all": visible, "chosen": chosen, "rows": _compare_rows(columns)},
    )


COMPARE_ROWS = [
    ("Participants (active)", ("participants", "active")),
    ("Participants (withdrawn)", ("participants", "withdrawn")),
    ("Expected hours per week", ("expected_hours_per_week",)),
]


def _compare_rows(columns):
    rows = []
    extra = []
    for column in columns:
        for label, path in column["figures"].get("compare", []):
            if [label, path] not in extra:
                extra.append([label, path])
    for label, path in COMPARE_ROWS + [tuple(x) for x in extra]:
        cells = []
        for column in columns:
            value = column["figures"]
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, dict) and value.get(transparency.WITHHELD):
                value = "withheld (fewer than 5 people)"
            cells.append("—" if value in (None, "") else value)
        rows.append((label, cells))
    return rows


def terms_detail(request, slug, number):
    programme = _visible_programme(request, slug)
    terms = get_object_or_404(TermsVersion.objects.published(), programme=programme, number=number)
    return render(request, "programs/terms.html", {"programme": programme, "terms": terms})


def terms_diff_view(request, slug):
    programme = _visible_programme(request, slug)
    published = TermsVersion.objects.published().filter(programme=programme)
    try:
        old_n, new_n = int(request.GET.get("from", "")), int(request.GET.get("to", ""))
    except ValueError:
        raise Http404("Give two version numbers: ?from=1&to=2") from None
    old = get_object_or_404(published, number=old_n)
    new = get_object_or_404(published, number=new_n)
    return render(
        request,
        "programs/diff.html",
        {"programme": programme, "diff": terms_diff(old, new), "old": old, "new": new},
    )
