"""Public pay figures that cannot flatter (issue 33): effective hourly pay counts pay for
labour only; prizes, grants, promotion fees and adjustments are shown apart; every per-person
figure is over every participant who logged hours, and the page says so. Each figure is
checked against a direct SQL computation, on generated data and on the demo."""

import statistics
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from compensation import services as pay
from compensation.models import LedgerEntry
from core.figures import quantile
from labour import services as labour
from participants.models import Participation
from tests.factories import make_participant
from transparency import figures as transparency

LABOUR = ("hourly", "stipend", "bounty", "topup")
CENT = Decimal("0.01")


def _sql(query: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _per_person(programme, kinds) -> dict:
    """participation id → net amount in the programme's currency of lines of these kinds (a
    reversal counts as the kind of the line it reverses), straight from the tables."""
    marks = ", ".join(["%s"] * len(kinds))
    rows = _sql(
        f"""
        SELECT e.participation_id, SUM(e.amount)
        FROM compensation_ledgerentry e
        LEFT JOIN compensation_ledgerentry r ON r.id = e.reverses_id
        WHERE e.programme_id = %s AND e.currency = %s
          AND (CASE WHEN e.kind = 'reversal' THEN r.kind ELSE e.kind END) IN ({marks})
        GROUP BY e.participation_id
        """,
        [programme.pk, programme.currency, *kinds],
    )
    return {pid: Decimal(str(total)) for pid, total in rows}


def _expected(programme) -> dict:
    """Every pay figure of the page, computed from the tables by hand."""
    minutes = dict(
        _sql(
            "SELECT participation_id, SUM(minutes) FROM feedback_timeentry "
            "WHERE programme_id = %s GROUP BY participation_id HAVING SUM(minutes) > 0",
            [programme.pk],
        )
    )
    confirmed = _sql(
        "SELECT SUM(minutes) FROM feedback_timeentry WHERE programme_id = %s "
        "AND status = 'confirmed'",
        [programme.pk],
    )[0][0]
    members = _sql(
        "SELECT COUNT(*) FROM participants_participation WHERE programme_id = %s", [programme.pk]
    )[0][0]
    labour_pay = _per_person(programme, LABOUR)
    paid_rows = _sql(
        """
        SELECT COUNT(*) FROM (
          SELECT e.participation_id FROM compensation_ledgerentry e
          LEFT JOIN compensation_ledgerentry r ON r.id = e.reverses_id
          WHERE e.programme_id = %s AND e.currency = %s AND e.state = 'paid'
            AND (CASE WHEN e.kind = 'reversal' THEN r.kind ELSE e.kind END)
                IN ('hourly', 'stipend', 'bounty', 'topup')
          GROUP BY e.participation_id HAVING SUM(e.amount) > 0) AS paid
        """,
        [programme.pk, programme.currency],
    )[0][0]
    rates = sorted(
        labour_pay.get(pid, Decimal("0")) / (Decimal(m) / 60) for pid, m in minutes.items()
    )
    total = sum(minutes.values())
    nothing = sum(m for pid, m in minutes.items() if labour_pay.get(pid, 0) <= 0)
    apart = {}
    for kind, key in (("prize", "prizes"), ("grant", "grants"), ("promotion", "promotion_fees")):
        got = [v for v in _per_person(programme, [kind]).values() if v > 0]
        apart[key] = {"people": len(got), "total": str(sum(got, Decimal("0")).quantize(CENT))}
    return {
        "participants": members,
        "participants_with_hours": len(minutes),
        "share_of_participants_paid_for_labour_percent": round(paid_rows / members * 100, 1),
        "effective_hourly_pay_for_labour_median": str(statistics.median(rates).quantize(CENT)),
        "effective_hourly_pay_for_labour_p90": str(quantile(rates, 0.9).quantize(CENT)),
        "share_of_hours_without_labour_pay_percent": round(nothing / total * 100, 1),
        "share_of_logged_hours_not_confirmed_percent": round(
            (1 - (confirmed or 0) / total) * 100, 1
        ),
        "apart": apart,
    }


def _check_against_sql(programme) -> dict:
    figures = transparency.compute_figures(programme)["pay"]
    expected = _expected(programme)
    for key, value in expected.items():
        got = figures[key]
        if key == "apart":
            got = {k: got[k] for k in value}
        assert got == value, (programme.slug, key, got, value)
    print(f"FIGURE pay figures of {programme.slug} equal to direct SQL: {len(expected)} checked")
    return figures


def _generated(programme, manager, reviewer, finance):
    """Eight people: six with hours (four confirmed and paid hourly, one unconfirmed, one
    reversed), a prize winner with hours, a grant holder without hours."""
    people = [make_participant(programme, email=f"g{i}@example.com") for i in range(8)]
    day = timezone.localdate() - timedelta(days=2)
    for i, person in enumerate(people[:6]):
        entry = labour.time_entry_log(
            actor=person, programme=programme, date=day, minutes=60 * (i + 1), activity="testing"
        )
        if i != 4:
            labour.time_entry_confirm(actor=reviewer, entry=entry)
    pay.accrue_hourly(programme=programme)
    for entry in LedgerEntry.objects.filter(participation__user=people[5]):
        pay.entry_reverse(actor=finance, entry=entry, reason="Hours were a duplicate")
    paid = LedgerEntry.objects.filter(participation__user__in=people[:2], kind="hourly")
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

    def part(person):
        return Participation.objects.get(user=person, programme=programme)

    # A big prize for the person with six hours of reversed pay, a grant for one without hours.
    pay.award_create(
        actor=manager,
        participation=part(people[5]),
        kind="prize",
        amount="500.00",
        currency="EUR",
        reason="Competition winner",
    )
    pay.award_create(
        actor=manager,
        participation=part(people[7]),
        kind="grant",
        amount="800.00",
        currency="EUR",
        reason="Research grant",
    )
    return people


def test_prizes_and_grants_never_count_as_hourly_pay_on_generated_data(
    programme, manager, reviewer, finance, client
):
    programme.reference_hourly_rate = 20
    programme.save()
    _generated(programme, manager, reviewer, finance)
    figures = _check_against_sql(programme)
    # Hours 1..6 at 25.00; the fifth person's 5 h are unconfirmed (nothing accrued), the sixth's
    # 6 h were reversed: rates 25, 25, 25, 25, 0, 0 whatever the 500.00 prize.
    assert figures["effective_hourly_pay_for_labour_median"] == "25.00"
    assert figures["effective_hourly_pay_for_labour_p90"] == "25.00"
    assert figures["participants_with_hours"] == 6 and figures["participants"] == 8
    assert figures["share_of_hours_without_labour_pay_percent"] == round(11 / 21 * 100, 1)
    assert figures["unpaid_hours_value_at_reference_rate"] == "220.00"  # 11 h × 20
    assert figures["apart"]["prizes"] == {"people": 1, "total": "500.00"}
    assert figures["apart"]["grants"] == {"people": 1, "total": "800.00"}

    transparency.refresh(programme)
    page = client.get(f"/programmes/{programme.slug}/").content.decode()
    over = "over the 6 participants who logged hours, confirmed or not"
    assert f"Effective hourly pay for labour, median (EUR/h, {over})</dt><dd>25.00" in page
    assert "Prizes (not pay for labour)</dt><dd>1 of 8 people, 500.00 EUR" in page
    assert "Grants (not pay for labour)</dt><dd>1 of 8 people, 800.00 EUR" in page


def test_the_demo_criticised_programme_shows_no_labour_pay_and_its_prizes_apart(
    db, settings, tmp_path, client
):
    import demo

    settings.MEDIA_ROOT = tmp_path / "media"
    ctx = demo.seed()
    for slug in ("artist-alpha", "fair-beta"):
        _check_against_sql(type(ctx["fair"]).objects.get(slug=slug))
    criticised = type(ctx["fair"]).objects.get(slug="artist-alpha")
    transparency.refresh(criticised)
    page = client.get("/programmes/artist-alpha/").content.decode()
    figures = transparency.latest(criticised).figures["pay"]
    n = figures["participants_with_hours"]
    assert (
        f"Effective hourly pay for labour, median (EUR/h, over the {n} participants who "
        "logged hours, confirmed or not)</dt><dd>0.00" in page
    )
    prizes = figures["apart"]["prizes"]
    assert prizes["people"] > 0
    assert (
        f"Prizes (not pay for labour)</dt><dd>{prizes['people']} of {figures['participants']} "
        f"people, {prizes['total']} EUR" in page
    )
    assert "Share of logged hours that earned no pay for labour" in page
