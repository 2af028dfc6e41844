"""A pay floor that tops up: terms may promise a minimum effective hourly pay; each month the
shortfall of confirmed hours is accrued once as a `topup` entry, seen on the statement and,
as a programme figure, on the public page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from compensation import floor, tasks
from compensation.models import LedgerEntry
from programs.models import TermsVersion
from tests.factories import make_participant

pytestmark = pytest.mark.django_db


def last_month_day():
    """A day of the last complete month (the floor's period)."""
    _, start, end = floor.floor_period(timezone.localdate())
    return end - timedelta(days=2)


def set_terms(programme, **fields):
    """Terms v1 in force since well before last month, with these pay terms."""
    TermsVersion.objects.filter(programme=programme, number=1).update(
        effective_at=timezone.now() - timedelta(days=120), **fields
    )


def work(user, programme, reviewer, minutes, day=None):
    from labour import services as labour

    entry = labour.time_entry_log(
        actor=user,
        programme=programme,
        date=day or last_month_day(),
        minutes=minutes,
        activity="testing",
    )
    return labour.time_entry_confirm(actor=reviewer, entry=entry)


def test_hours_paid_under_the_floor_are_topped_up_once_by_the_exact_difference(
    programme, participant, participation, reviewer, as_user
):
    set_terms(programme, hourly_rate=Decimal("10.00"), hourly_floor=Decimal("15.00"))
    work(participant, programme, reviewer, 150)  # 2.5 h × 10.00 = 25.00; floor 37.50
    assert tasks.accrue_floor_topups() == 1
    topup = LedgerEntry.objects.get(kind="topup")
    assert topup.amount == Decimal("12.50") and topup.currency == "EUR"
    label, _, _ = floor.floor_period(timezone.localdate())
    assert topup.idempotency_key == f"floor:{participation.pk}:{label}"
    assert LedgerEntry.objects.get(kind="hourly").amount == Decimal("25.00")
    # Run again (beat ticks every few hours): nothing new.
    assert tasks.accrue_floor_topups() == 0
    assert LedgerEntry.objects.filter(kind="topup").count() == 1
    accrued = AuditEvent.objects.filter(action="compensation.entry.accrued")
    assert [e.data["kind"] for e in accrued].count("topup") == 1
    page = as_user(participant).get(reverse("compensation:statement")).content.decode()
    assert f"Pay floor top-up for {label}: 2.50 h × 15.00 EUR/h = 37.50, earned 25.00" in page
    assert "12.50 EUR" in page


def test_unpaid_hours_under_a_floor_are_topped_up_to_the_whole_floor(
    programme, participant, participation, reviewer
):
    set_terms(programme, pay_model="unpaid", hourly_rate=None, hourly_floor=Decimal("12.00"))
    work(participant, programme, reviewer, 60)
    work(participant, programme, reviewer, 30, day=last_month_day() - timedelta(days=1))
    floor.accrue_topups()
    assert LedgerEntry.objects.get(kind="topup").amount == Decimal("18.00")


def test_pay_at_or_above_the_floor_tops_up_nothing_and_hours_this_month_wait(
    programme, participant, participation, reviewer
):
    set_terms(programme, hourly_rate=Decimal("20.00"), hourly_floor=Decimal("15.00"))
    work(participant, programme, reviewer, 120)
    work(participant, programme, reviewer, 60, day=timezone.localdate())  # not a past month
    result = floor.accrue_topups()
    assert result.count == 0 and result.skipped["at or above the floor"] == 1
    assert not LedgerEntry.objects.filter(kind="topup").exists()


def test_terms_without_a_floor_top_up_nothing(programme, participant, participation, reviewer):
    set_terms(programme, hourly_rate=Decimal("1.00"))
    work(participant, programme, reviewer, 600)
    assert floor.accrue_topups().count == 0


def test_the_public_page_shows_whether_the_floor_held_and_how_much_was_topped_up(
    programme, reviewer, client
):
    from transparency import figures

    set_terms(programme, hourly_rate=Decimal("10.00"), hourly_floor=Decimal("15.00"))
    for n in range(5):
        person = make_participant(programme, email=f"floor{n}@example.com")
        work(person, programme, reviewer, 60)  # 1 h × 10.00; floor 15.00: 5.00 each
    floor.accrue_topups()
    figures.refresh(programme)
    label, _, _ = floor.floor_period(timezone.localdate())
    page = client.get(reverse("transparency:detail", args=[programme.slug])).content.decode()
    assert "Pay floor" in page and "15.00 EUR" in page
    assert f"Pay floor in {label}" in page
    assert "topped up 25.00 EUR for 5 of 5 people" in page
    data = client.get(reverse("transparency:figures_json", args=[programme.slug])).json()
    month = next(m for m in data["pay_floor"]["periods"] if m["period"] == label)
    assert month["held_without_top_up"] is False and month["topped_up"] == "25.00"


def test_a_floor_that_held_says_so_on_the_public_page(
    programme, participant, participation, reviewer, client
):
    from transparency import figures

    set_terms(programme, hourly_rate=Decimal("20.00"), hourly_floor=Decimal("15.00"))
    work(participant, programme, reviewer, 60)
    floor.accrue_topups()
    figures.refresh(programme)
    page = client.get(reverse("transparency:detail", args=[programme.slug])).content.decode()
    assert "held: nobody&#x27;s pay fell below it" in page or "held: nobody's pay" in page


def test_lowering_or_removing_the_floor_is_a_material_pay_cut_and_raising_it_is_not_worse(
    programme, manager, participant, as_user
):
    from tests.programs.test_trust_terms import _publish_v2

    set_terms(programme, hourly_floor=Decimal("15.00"))
    client = as_user(manager)
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    preview = client.post(
        f"/staff/programmes/{programme.slug}/terms/2/",
        {**_v1(), "hourly_floor": "20.00", "preview": "1"},
    ).content.decode()
    # Every change of the deal is material (notice first); a higher floor is not worse.
    assert "<strong>This is a material change</strong>" in preview
    assert "Worse for testers" not in preview
    v2 = _publish_v2(
        client, programme, hourly_floor="10.00", material_change="", change_summary="tidy"
    )
    assert v2.material_change is True
    consent = as_user(participant).get(f"/portal/programmes/{programme.slug}/consent/")
    assert "Minimum effective hourly pay" in consent.content.decode().split("Worse for you")[1]
    # The key facts say it, on every terms page and consent screen.
    assert "At least €10.00 per confirmed hour each month" in " ".join(v2.key_facts())


def test_a_floor_of_zero_or_less_is_refused(programme, manager, as_user):
    client = as_user(manager)
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    page = client.post(
        f"/staff/programmes/{programme.slug}/terms/2/",
        {**_v1(), "hourly_floor": "0", "publish": "1"},
    )
    assert page.status_code == 400
    assert "A minimum hourly pay is more than zero" in page.content.decode()


def _v1():
    from tests.programs.test_trust_terms import V1

    return dict(V1)


def test_beat_runs_the_top_up_through_the_periodic_runner(
    settings, programme, participant, participation, reviewer
):
    from django.core.cache import cache

    from core.tasks import run_periodic

    entry = settings.CELERY_BEAT_SCHEDULE["compensation-pay-floor"]
    task_name, interval = entry["args"][:2]
    assert task_name == "compensation.tasks.accrue_floor_topups"
    set_terms(programme, hourly_rate=Decimal("10.00"), hourly_floor=Decimal("15.00"))
    work(participant, programme, reviewer, 60)
    cache.delete(f"periodic-lock:{task_name}")
    assert run_periodic(task_name, interval) == f"ran {task_name}"
    assert LedgerEntry.objects.get(kind="topup").amount == Decimal("5.00")


def test_the_floor_days_of_a_month_take_one_query_not_one_per_day(
    programme, django_assert_max_num_queries
):
    """The public page computes three months of floor days on every refresh."""
    set_terms(programme, hourly_floor=Decimal("15.00"))
    _, start, end = floor.floor_period(timezone.localdate())
    with django_assert_max_num_queries(1):
        days = floor.floor_days(programme, start, end)
    assert len(days) == (end - start).days + 1
    assert {t.hourly_floor for t in days.values()} == {Decimal("15.00")}
