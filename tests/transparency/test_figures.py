"""Public figures: correct, withheld below five people, downloadable, comparable."""

import csv
import io

import pytest
from django.conf import settings

from participants.models import Participation
from programs.models import TransparencySnapshot
from tests.factories import make_participant
from transparency import figures as transparency
from transparency.tasks import refresh_transparency


def test_a_small_programme_withholds_identifying_figures(programme, participant, client):
    Participation.objects.filter(user=participant).update(status="withdrawn")
    figures = client.get(f"/programmes/{programme.slug}/figures.json").json()
    assert figures["participants"]["withdrawn"] == {
        "withheld": True,
        "reason": "fewer than 5 participants",
    }
    page = client.get(f"/programmes/{programme.slug}/").content.decode()
    assert "withheld" in page and "fewer than 5" in page


def test_participant_figures_match_a_direct_count(programme, manager):
    people = [make_participant(programme, email=f"t{i}@example.com") for i in range(8)]
    Participation.objects.filter(user__in=people[:3]).update(status="withdrawn")
    figures = transparency.compute_figures(programme)["participants"]
    assert figures["total"] == Participation.objects.filter(programme=programme).count() == 8
    assert figures["active"] == 5 and figures["withdrawn"] == 3


def test_the_page_reads_a_snapshot_with_its_time_and_beat_refreshes_it(programme, client):
    first = transparency.latest(programme)
    page = client.get(f"/programmes/{programme.slug}/").content.decode()
    assert f"As of {first.computed_at:%Y-%m-%d %H:%M} UTC" in page
    assert refresh_transparency() >= 1
    assert TransparencySnapshot.objects.filter(programme=programme).count() == 2


def test_the_csv_download_lists_every_figure_and_escapes_formulas(programme, client):
    programme.name = "=HYPERLINK(evil)"
    programme.save()
    transparency.refresh(programme)
    text = client.get(f"/programmes/{programme.slug}/figures.csv").content.decode()
    rows = dict(csv.reader(io.StringIO(text)))
    assert rows["participants.active"] == "0" and rows["name"] == "'=HYPERLINK(evil)"


def test_charts_carry_their_numbers_for_screen_readers(programme, client):
    for i in range(6):
        make_participant(programme, email=f"c{i}@example.com")
    transparency.refresh(programme)
    page = client.get(f"/programmes/{programme.slug}/").content.decode()
    assert '<svg role="img"' in page and "<desc" in page and "Active: 6" in page


def test_the_comparison_page_lays_programmes_side_by_side(programme, other_programme, client):
    page = client.get("/programmes/compare/?p=alpha&p=beta").content.decode()
    assert "Alpha" in page and "Beta" in page and "Key facts" in page
    assert page.count("Paid €25.00 per hour worked.") == 2


def _seed_work(programme, manager, reviewer, finance, n=6):
    """n participants with confirmed hours; the first three get their hourly pay paid."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from compensation import services as pay
    from compensation.models import LedgerEntry
    from labour import services as fb

    people = [make_participant(programme, email=f"w{i}@example.com") for i in range(n)]
    day = timezone.localdate() - timedelta(days=2)
    for i, person in enumerate(people):
        entry = fb.time_entry_log(
            actor=person, programme=programme, date=day, minutes=60 * (i + 1), activity="testing"
        )
        fb.time_entry_confirm(actor=reviewer, entry=entry)
    pay.accrue_hourly(programme=programme)
    paid = LedgerEntry.objects.filter(participation__user__in=people[:3])
    pay.entries_approve(actor=finance, entry_ids=list(paid.values_list("pk", flat=True)))
    batch = pay.batch_create(
        actor=finance,
        programmes=[programme],
        currency="EUR",
        period_start=day - timedelta(days=1),
        period_end=timezone.localdate(),
    )
    pay.batch_mark_paid(
        actor=finance, batch=batch, reference="BANK-1", paid_on=timezone.localdate()
    )
    return people, Decimal


def test_labour_and_pay_figures_match_a_direct_computation(programme, manager, reviewer, finance):
    from compensation.models import LedgerEntry

    programme.reference_hourly_rate = 20
    programme.save()
    from compensation import services as pay

    people, Decimal = _seed_work(programme, manager, reviewer, finance)
    for entry in LedgerEntry.objects.filter(participation__user__in=people[4:]):
        pay.entry_reverse(actor=finance, entry=entry, reason="Hours were a duplicate")
    figures = transparency.compute_figures(programme)
    hours = [1, 2, 3, 4, 5, 6]  # person i worked i+1 hours at 25.00 EUR
    assert figures["labour"]["confirmed_hours_total"] == sum(hours) == 21
    assert figures["labour"]["hours_per_person_median"] == 3.5
    assert figures["labour"]["hours_per_person_p90"] == 6.0
    paid_total = sum(LedgerEntry.objects.filter(state="paid").values_list("amount", flat=True))
    assert paid_total == Decimal("150.00")  # (1+2+3) h × 25.00
    assert figures["pay"]["by_currency"]["EUR"]["paid"] == "150.00"
    # Pending: person 4's 100.00; persons 5 and 6 were reversed (125 − 125, 150 − 150).
    assert figures["pay"]["by_currency"]["EUR"]["pending"] == "100.00"
    assert figures["pay"]["share_of_participants_paid_for_labour_percent"] == 50.0  # 3 of 6
    # earned/h: 25,25,25,25,0,0
    assert figures["pay"]["effective_hourly_pay_for_labour_median"] == "25.00"
    assert figures["pay"]["share_of_hours_without_labour_pay_percent"] == round(11 / 21 * 100, 1)
    assert figures["pay"]["unpaid_hours_value_at_reference_rate"] == "220.00"  # 11 h × 20


def test_pay_figures_of_a_small_programme_are_withheld(
    programme, manager, reviewer, finance, client
):
    _seed_work(programme, manager, reviewer, finance, n=3)
    transparency.refresh(programme)
    figures = client.get(f"/programmes/{programme.slug}/figures.json").json()
    assert figures["pay"]["effective_hourly_pay_for_labour_median"]["withheld"] is True
    assert figures["labour"]["hours_per_person_median"]["withheld"] is True


def test_approval_figures_match_the_decisions(programme, manager, reviewer):
    from datetime import timedelta

    from approvals import services as approvals
    from approvals.models import OutputSubmission, ReviewDecision

    reasons = {
        r.code: r for r in approvals.reason_codes_add_defaults(actor=manager, programme=programme)
    }
    people = [make_participant(programme, email=f"a{i}@example.com") for i in range(5)]
    subs = [
        approvals.submission_create(
            actor=p,
            programme=programme,
            title=f"o{i}",
            intended_use="social",
            url=f"https://e.org/{i}",
        )
        for i, p in enumerate(people)
    ]
    for i, sub in enumerate(subs):
        # Submitted 10·(i+1) hours ago; decided now, so review takes 10, 20 … 50 h.
        OutputSubmission.objects.filter(pk=sub.pk).update(
            submitted_at=sub.submitted_at - timedelta(hours=10 * (i + 1))
        )
        sub.refresh_from_db()
        approvals.submission_claim(actor=reviewer, submission=sub)
        code = next(iter(reasons))
        outcome, reason = ("rejected", reasons[code]) if i == 4 else ("approved", None)
        approvals.submission_decide(
            submission=sub, actor=reviewer, outcome=outcome, reason=reason, note="n"
        )
    figures = transparency.compute_figures(programme)["approvals"]
    assert figures["submitted"] == 5
    assert figures["review_hours_median"] == 30.0 and figures["review_hours_p90"] == 50.0
    # The 72 h deadline ran from the original submission time: every decision was within it.
    within = sum(
        1
        for d in ReviewDecision.objects.select_related("submission")
        if d.decided_at <= d.submission.due_at
    )
    assert figures["share_decided_within_deadline_percent"] == within / 5 * 100
    assert figures["rejection_reasons"] == {reasons[next(iter(reasons))].label: 1}


def test_figures_that_do_not_exist_say_why_on_the_page(
    programme, manager, reviewer, finance, client
):
    """No reference rate, no deadline, no decisions: the page says so in words, never 'None';
    unpaid hours are still valued, at the instance-wide rate, and the page says so."""
    programme.reference_hourly_rate = None
    programme.save()
    _seed_work(programme, manager, reviewer, finance)
    transparency.refresh(programme)
    page = client.get(f"/programmes/{programme.slug}/").content.decode()
    assert ">None<" not in page and "None" not in page.split("The real figures")[1]
    assert "no reference rate stated" not in page
    assert "(no rate stated by the programme; " in page
    figures = client.get(f"/programmes/{programme.slug}/figures.json").json()
    assert figures["reference_hourly_rate"] is None  # the programme's own rate stays null
    assert figures["pay"]["reference_hourly_rate"] == settings.REFERENCE_HOURLY_RATE
    assert figures["pay"]["reference_rate_source"].startswith("no rate stated by the programme")


@pytest.mark.postgres
@pytest.mark.parametrize("n", [1, 2, 6, 7])
def test_database_medians_and_percentiles_equal_the_python_definitions(
    programme, manager, reviewer, finance, n
):
    """percentile_disc in PostgreSQL gives median() and quantile() exactly, even and odd n."""
    from django.db import connection
    from django.db.models import Sum

    from labour.models import TimeEntry

    _seed_work(programme, manager, reviewer, finance, n=n)
    per_person = (
        TimeEntry.objects.confirmed()
        .filter(programme=programme)
        .values("user")
        .annotate(m=Sum("minutes"))
    )
    values = sorted(m / 60 for m in per_person.values_list("m", flat=True))
    assert connection.vendor == "postgresql" and len(values) == n
    for q in (0.1, 0.25, 0.5, 0.9, 1.0):
        assert transparency.median_and_quantile(per_person, "m", q, convert=lambda m: m / 60)[
            :3
        ] == (n, transparency.median(values), transparency.quantile(values, q))
    if n < 5:
        return  # the page withholds them (fewer than 5 people)
    # And the page's figures are the same numbers, rounded.
    figures = transparency.compute_figures(programme)
    assert figures["labour"]["hours_per_person_median"] == round(transparency.median(values), 1)
    assert figures["labour"]["hours_per_person_p90"] == round(transparency.quantile(values, 0.9), 1)
