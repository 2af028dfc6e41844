"""Pay on the public page, in figures that cannot flatter.

Effective hourly pay counts pay for labour only: hourly pay, stipends, bounties and pay-floor
top-ups, earned (paid or not), net of their reversals. Prizes, grants, promotion fees and
adjustments are not pay for work done by the hour; they are shown apart, with how many people
received them. Every per-person figure is over every participant who logged hours (confirmed
or not), and the page says how many that is: someone whose hours were never confirmed still
worked them. A person with hours and no labour pay counts at 0.00.
"""

import statistics
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, F, Q, Sum, When

from compensation.models import LedgerEntry, cents
from compensation.selectors import LABOUR_KINDS
from core.figures import guard, quantile, shown
from feedback.models import Ticket
from labour.models import TimeEntry
from participants.models import Participation
from programs.models import Programme

Kind = LedgerEntry.Kind
# What is shown apart from pay for labour: (kind, the key of the figures, the page's label).
APART = [
    (Kind.PRIZE, "prizes", "Prizes"),
    (Kind.GRANT, "grants", "Grants"),
    (Kind.PROMOTION, "promotion_fees", "Promotion fees"),
    (Kind.ADJUSTMENT, "adjustments", "Adjustments"),
]
CENT = Decimal("0.01")


def reference_rate(programme: Programme) -> tuple[Decimal, str, str]:
    """(rate, currency, where it comes from): unpaid hours always carry a value, the
    programme's stated rate, or else the instance-wide one the operator sets
    (settings.REFERENCE_HOURLY_RATE), named on the page."""
    rate = programme.reference_hourly_rate
    if rate not in (None, ""):
        return Decimal(str(rate)), programme.currency, "stated by the programme"
    return (
        Decimal(str(settings.REFERENCE_HOURLY_RATE)),
        settings.REFERENCE_RATE_CURRENCY,
        f"no rate stated by the programme; {settings.REFERENCE_RATE_SOURCE}",
    )


def safety_findings(programme: Programme, entries) -> tuple[int, int]:
    """(accepted safety findings, those whose bounty was paid)."""
    safety = Ticket.objects.filter(
        programme=programme, kind=Ticket.Kind.SAFETY_FINDING, status__in=Ticket.COUNTS_AS_ACCEPTED
    )
    safety_ids = [str(i) for i in safety.values_list("pk", flat=True)]
    paid = (
        entries.filter(
            kind=LedgerEntry.Kind.BOUNTY, state=LedgerEntry.State.PAID, source_id__in=safety_ids
        )
        .values("source_id")
        .distinct()
        .count()
        if safety_ids
        else 0
    )
    return safety.count(), paid


def hourly_pay_chart(rates: list, programme: Programme) -> dict:
    buckets = [
        (0, 0.01, "nothing"),
        (0.01, 15, "under 15"),
        (15, 30, "15–30"),
        (30, 1e9, "30 or more"),
    ]
    return {
        "title": f"Effective hourly pay of participants ({programme.currency}/h)",
        "items": [[label, sum(1 for r in rates if lo <= r < hi)] for lo, hi, label in buckets],
        "unit": " people",
    }


def counts_as():
    """The kind a ledger line counts as: its own, or for a reversal that of the line it
    reverses (a reversed hourly line takes hourly pay back, not a prize)."""
    return Case(When(kind=Kind.REVERSAL, then=F("reverses__kind")), default=F("kind"))


def amounts_by_person(programme) -> dict:
    """{participation id: {kind: earned, "labour_paid": paid}} in the programme's currency."""
    out: dict = defaultdict(lambda: defaultdict(lambda: Decimal("0")))
    rows = (
        LedgerEntry.objects.filter(programme=programme, currency=programme.currency)
        .annotate(as_kind=counts_as())
        .order_by()
        .values_list("participation", "as_kind")
        .annotate(
            earned=Sum("amount"),
            paid=Sum("amount", filter=Q(state=LedgerEntry.State.PAID)),
        )
    )
    for pid, kind, earned, paid in rows:
        out[pid][kind] += earned or 0
        if kind in LABOUR_KINDS:
            out[pid]["labour_paid"] += paid or 0
    return out


def unconfirmed_share(programme):
    """The share (%) of logged hours not yet confirmed (their pay may not have accrued)."""
    totals = TimeEntry.objects.filter(programme=programme).aggregate(
        all=Sum("minutes"), confirmed=Sum("minutes", filter=Q(status=TimeEntry.Status.CONFIRMED))
    )
    if not totals["all"]:
        return None
    return round((1 - (totals["confirmed"] or 0) / totals["all"]) * 100, 1)


def hours_by_person(programme) -> dict:
    """{participation id: hours logged}, confirmed or not, of people who logged any."""
    return {
        pid: Decimal(minutes) / 60
        for pid, minutes in TimeEntry.objects.filter(programme=programme)
        .order_by()
        .values_list("participation")
        .annotate(m=Sum("minutes"))
        .values_list("participation", "m")
        if minutes
    }


def _totals_by_currency(programme, *, reimbursements: bool = False) -> dict:
    """Paid and pending per currency: pay of every kind, or (`reimbursements`) the cost
    reimbursements, which are not pay and are shown apart."""
    reimbursing = Q(as_kind__in=LedgerEntry.REIMBURSING)
    totals: dict = defaultdict(lambda: {"paid": Decimal("0.00"), "pending": Decimal("0.00")})
    for currency, state, amount in (
        LedgerEntry.objects.filter(programme=programme)
        .annotate(as_kind=counts_as())
        .filter(reimbursing if reimbursements else ~reimbursing)
        .order_by()
        .values_list("currency", "state")
        .annotate(s=Sum("amount"))
    ):
        totals[currency]["paid" if state == LedgerEntry.State.PAID else "pending"] += cents(amount)
    return {c: {"paid": str(v["paid"]), "pending": str(v["pending"])} for c, v in totals.items()}


def pay_figures(programme) -> dict:
    """The pay figures of one programme (see the module's docstring for what counts)."""
    members = Participation.objects.filter(programme=programme).count()
    amounts = amounts_by_person(programme)
    hours = hours_by_person(programme)
    reference, ref_currency, ref_source = reference_rate(programme)
    labour = {pid: sum((v[k] for k in LABOUR_KINDS), Decimal("0")) for pid, v in amounts.items()}
    rates = sorted(labour.get(pid, Decimal("0")) / h for pid, h in hours.items())
    with_hours = len(hours)
    total_hours = sum(hours.values(), Decimal("0"))
    unpaid_hours = sum((h for pid, h in hours.items() if labour.get(pid, 0) <= 0), Decimal("0"))
    paid_people = sum(1 for v in amounts.values() if v["labour_paid"] > 0)
    accepted_safety, paid_safety = safety_findings(
        programme, LedgerEntry.objects.filter(programme=programme)
    )
    apart = {}
    for kind, key, _label in APART:
        got = [v[kind] for v in amounts.values() if v[kind] > 0]
        total = {"people": len(got), "total": str(cents(sum(got, Decimal("0"))))}
        # None given says nothing about anyone; who got a prize is withheld in a small group.
        apart[key] = guard(total, members) if got else total
    return {
        "by_currency": _totals_by_currency(programme),
        "reimbursed_by_currency": {
            c: str(Decimal(v["paid"]) + Decimal(v["pending"]))
            for c, v in _totals_by_currency(programme, reimbursements=True).items()
        },
        "participants": members,
        "participants_with_hours": with_hours,
        "share_of_participants_paid_for_labour_percent": guard(
            round(paid_people / members * 100, 1) if members else None, members
        ),
        "effective_hourly_pay_for_labour_median": guard(
            str(statistics.median(rates).quantize(CENT)) if rates else None, with_hours
        ),
        "effective_hourly_pay_for_labour_p90": guard(
            str(quantile(rates, 0.9).quantize(CENT)) if rates else None, with_hours
        ),
        "share_of_hours_without_labour_pay_percent": guard(
            round(float(unpaid_hours / total_hours) * 100, 1) if total_hours else None, with_hours
        ),
        "unpaid_hours_value_at_reference_rate": guard(
            str(cents(unpaid_hours * reference)) if total_hours else None, with_hours
        ),
        "share_of_logged_hours_not_confirmed_percent": guard(
            unconfirmed_share(programme), with_hours
        ),
        "apart": apart,
        "reference_hourly_rate": str(reference),
        "reference_rate_currency": ref_currency,
        "reference_rate_source": ref_source,
        "safety_findings_accepted": accepted_safety,
        "safety_findings_paid": paid_safety,
        "rates": [float(r) for r in rates],
    }


def _rows(pay: dict, programme) -> list[list]:
    currency, n = programme.currency, pay["participants_with_hours"]
    over = f"over the {n} participant{'s' if n != 1 else ''} who logged hours, confirmed or not"
    rows = []
    for c, v in sorted(pay["by_currency"].items()):
        rows += [[f"Paid, all kinds ({c})", v["paid"]], [f"Pending, all kinds ({c})", v["pending"]]]
    for c, total in sorted(pay["reimbursed_by_currency"].items()):
        rows.append([f"Cost reimbursements, not pay ({c})", total])
    rows += [
        [
            "Participants paid anything for labour (%)",
            shown(pay["share_of_participants_paid_for_labour_percent"], "no participants yet"),
        ],
        [
            f"Effective hourly pay for labour, median ({currency}/h, {over})",
            shown(pay["effective_hourly_pay_for_labour_median"], "no hours logged yet"),
        ],
        [
            f"Effective hourly pay for labour, 90th percentile ({currency}/h, {over})",
            shown(pay["effective_hourly_pay_for_labour_p90"], "no hours logged yet"),
        ],
        [
            f"Share of logged hours that earned no pay for labour (%, {over})",
            shown(pay["share_of_hours_without_labour_pay_percent"], "no hours logged yet"),
        ],
        [
            "Logged hours not yet confirmed, whose pay may not have accrued yet (%)",
            shown(pay["share_of_logged_hours_not_confirmed_percent"], "no hours logged yet"),
        ],
        [
            f"Unpaid hours valued at {pay['reference_hourly_rate']} "
            f"{pay['reference_rate_currency']}/h ({pay['reference_rate_source']}): logged hours "
            "that earned no pay for labour",
            shown(pay["unpaid_hours_value_at_reference_rate"], "no hours logged yet"),
        ],
    ]
    for _kind, key, label in APART:
        value = pay["apart"][key]
        if isinstance(value, dict) and "people" in value:
            if not value["people"]:
                continue
            value = (
                f"{value['people']} of {pay['participants']} people, {value['total']} {currency}"
            )
        rows.append([f"{label} (not pay for labour)", value])
    rows.append(
        [
            "Safety findings accepted / paid",
            f"{pay['safety_findings_accepted']} / {pay['safety_findings_paid']}",
        ]
    )
    return rows


def pay_section(programme) -> dict:
    """The "pay" block of the public figures, its section, chart and comparison rows."""
    pay = pay_figures(programme)
    rates = pay.pop("rates")
    charts = []
    if pay["participants_with_hours"] >= 5 and rates:
        charts.append(hourly_pay_chart(rates, programme))
    return {
        "pay": pay,
        "sections": [{"title": "Pay", "rows": _rows(pay, programme)}],
        "charts": charts,
        "compare": [
            [
                "Share of logged hours without labour pay (%)",
                ["pay", "share_of_hours_without_labour_pay_percent"],
            ],
            [
                "Effective hourly pay for labour, median (per hour)",
                ["pay", "effective_hourly_pay_for_labour_median"],
                "money",
            ],
        ],
    }
