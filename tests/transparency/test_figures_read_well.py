"""Public figures read as people say them: days not hundreds of hours, whole chart labels,
and a CSV whose cells hold values, never Python list text."""

import csv
import io

import pytest

from core.figures import duration
from tests.factories import make_participant
from transparency import figures as transparency


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (624.0, "26 days"),
        (0.75, "45 minutes"),
        (5.5, "5.5 hours"),
        (1.0, "1 hour"),
        (60.0, "2.5 days"),
        ("no decisions yet", "no decisions yet"),
    ],
)
def test_review_times_are_said_in_minutes_hours_or_days(hours, text):
    assert duration(hours) == text


def test_the_figures_csv_holds_one_value_per_cell(programme, client):
    for i in range(6):
        make_participant(programme, email=f"csv{i}@example.com")
    transparency.refresh(programme)
    text = client.get(f"/programmes/{programme.slug}/figures.csv").content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(row) == 2 for row in rows)
    assert not [row for row in rows if row[1].startswith("[") or row[1].startswith("(")], rows
    by_name = dict(rows)
    assert any(name.endswith("Outputs submitted") for name in by_name), sorted(by_name)[:40]


def test_chart_labels_are_shown_whole():
    from django.template.loader import render_to_string

    label = "Decided after the deadline (deemed approvals included)"
    chart = transparency.bar_chart("Decisions", [(label, 3), ("Approved", 12)])
    svg = render_to_string("includes/bar_chart.html", {"chart": chart, "forloop": {"counter": 1}})
    assert f">{label}</text>" in svg  # it was cut to 24 characters


def test_the_compare_page_says_figures_in_the_units_of_the_programme_page(
    programme, other_programme, client
):
    """Issue 33: compare said "Review hours, median 624.0" where the programme page says
    "26 days", and showed pay without its currency."""
    for p in (programme, other_programme):
        transparency.refresh(p)
    snapshot = transparency.latest(programme)
    figures = snapshot.figures
    figures["approvals"]["review_hours_median"] = 624.0
    figures["pay"]["effective_hourly_pay_for_labour_median"] = "22.50"
    type(snapshot).objects.filter(pk=snapshot.pk).update(figures=figures)
    page = client.get("/programmes/compare/?p=alpha&p=beta").content.decode()
    assert '<th scope="row">Review time, median</th><td>26 days</td>' in page
    assert "624.0" not in page
    assert (
        '<th scope="row">Effective hourly pay for labour, median (per hour)</th>'
        "<td>22.50 EUR</td>" in page
    )
