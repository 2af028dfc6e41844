"""Reads about the ledger that several pages, exports and tests share."""

import csv
import itertools
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core.businessdays import add_business_days, not_counted
from core.csvsafe import NUMBER, Echo, safe_cell, utc_seconds
from core.db import copy_out, fast_path, set_local_work_mem
from labour.models import TimeEntry
from participants.models import Participation
from programs import policy
from programs.models import Programme, TermsVersion
from programs.selectors import Attention, per_programme

from .models import LedgerEntry, PayoutLine, cents, money_sum


def totals_by_currency(entries) -> dict[str, Decimal]:
    """{currency: sum} of a queryset of entries, in currency order."""
    rows = entries.order_by().values("currency").annotate(total=money_sum()).order_by("currency")
    return {row["currency"]: cents(row["total"]) for row in rows}


def batch_preview(candidates, *, currency: str) -> dict:
    """What a batch would take, before it is built: per currency the payees, entries and
    total (only `currency` goes into the batch)."""
    rows = (
        candidates.order_by()
        .values("currency")
        .annotate(
            total=money_sum(),
            entries=Count("pk"),
            payees=Count("participation", distinct=True),
        )
        .order_by("currency")
    )
    return {
        "currency": currency,
        "rows": [
            {
                "currency": r["currency"],
                "total": cents(r["total"]),
                "entries": r["entries"],
                "payees": r["payees"],
            }
            for r in rows
        ],
    }


def forms_asked_of(participations) -> dict[int, list[str]]:
    """{participation id: the tax forms the payee is asked for}: those of the terms in force,
    and of the terms their pay not yet paid was earned under. One query for any number (a
    person takes part once in a programme, so a version's programme names the participation)."""
    by_programme = {p.programme_id: p.pk for p in participations}
    unpaid = LedgerEntry.objects.filter(
        participation__in=list(by_programme.values()), terms_version=OuterRef("pk")
    ).exclude(state=LedgerEntry.State.PAID)
    versions = (
        TermsVersion.objects.effective(timezone.now())
        .filter(programme__in=list(by_programme))
        .order_by()
        .values_list("programme_id", "number", "tax_forms", Value(False, BooleanField()))
        .union(
            TermsVersion.objects.filter(Exists(unpaid))
            .order_by()
            .values_list("programme_id", "number", "tax_forms", Value(True, BooleanField())),
            all=True,
        )
    )
    asked: dict[int, set] = {pk: set() for pk in by_programme.values()}
    newest: dict[int, tuple] = {}
    for programme_id, number, forms, held in versions:
        if held:
            asked[by_programme[programme_id]] |= set(forms or [])
        elif number > newest.get(programme_id, (0, None))[0]:
            newest[programme_id] = (number, forms)
    for programme_id, (_, forms) in newest.items():
        asked[by_programme[programme_id]] |= set(forms or [])
    return {pk: [k for k in Programme.TaxForm.values if k in kinds] for pk, kinds in asked.items()}


def forms_asked(participation: Participation) -> list[str]:
    return forms_asked_of([participation])[participation.pk]


def tax_waits(user) -> list[dict]:
    """The programmes that hold, or will hold, this person's pay until they send a tax form
    (their terms ask for one and no valid status is held): which forms, where to send them
    in the product, and the programme's finance team."""
    today = timezone.localdate()
    participations = list(
        Participation.objects.filter(user=user)
        .select_related("programme", "tax_status")
        .order_by("pk")
    )
    asked_of = forms_asked_of(participations)
    out = []
    for participation in participations:
        programme, asked = participation.programme, asked_of[participation.pk]
        status = getattr(participation, "tax_status", None)
        if not asked or (status and status.kind in asked and status.is_valid(today)):
            continue
        # The finance team is read only for the programmes that hold pay.
        finance = list(policy.staff_of(programme, "payouts"))
        out.append(
            {
                "programme": programme.name,
                "slug": programme.slug,
                "forms": [str(Programme.TaxForm(k).label) for k in asked],
                "finance": [
                    f"{person.get_full_name() or person.username} <{person.email}>"
                    for person in finance
                ],
                "expired": status.valid_until if status is not None else None,
            }
        )
    return out


def batch_entries_by_line(batch, participation_ids) -> dict[int, list]:
    """{participation id: the batch's entries of that payee}: what makes up each line."""
    out: dict[int, list] = defaultdict(list)
    entries = (
        LedgerEntry.objects.filter(batch=batch, participation_id__in=participation_ids)
        .only("pk", "kind", "amount", "currency", "earned_on", "participation_id")
        .order_by("pk")
    )
    for entry in entries:
        out[entry.participation_id].append(entry)
    return dict(out)


def balance(participation) -> dict[str, Decimal]:
    """What a participation has earned, per currency: the sum of its entries."""
    return totals_by_currency(LedgerEntry.objects.filter(participation=participation))


# Pay for labour: what per-hour figures count (prizes, grants, promotion fees and adjustments
# are not pay for hours worked). A reversal counts as the kind of the line it reverses.
LABOUR_KINDS = (
    LedgerEntry.Kind.HOURLY,
    LedgerEntry.Kind.STIPEND,
    LedgerEntry.Kind.BOUNTY,
    LedgerEntry.Kind.TOPUP,
)
IS_LABOUR = Case(
    When(
        Q(kind__in=LABOUR_KINDS)
        | Q(kind=LedgerEntry.Kind.REVERSAL, reverses__kind__in=LABOUR_KINDS),
        then=Value(True),
    ),
    default=Value(False),
    output_field=BooleanField(),
)


def _pay_rows(sums: dict, hours: Decimal) -> list[dict]:
    """sums: {(currency, "paid" | "pending" | "labour" | "labour_paid" | "reimbursed"): amount}
    -> one row per currency: paid and pending (pay of every kind, cost reimbursements taken
    out and shown apart), and per confirmed hour the labour pay earned (paid or not) beside
    the labour pay already paid."""
    rows = []
    for currency in sorted({c for c, what in sums if what in ("paid", "pending")}):

        def per_hour(what, currency=currency):
            amount = sums.get((currency, what), Decimal("0.00"))
            return (amount / hours).quantize(Decimal("0.01")) if hours else None

        rows.append(
            {
                "currency": currency,
                "paid": sums.get((currency, "paid"), Decimal("0.00")),
                "pending": sums.get((currency, "pending"), Decimal("0.00")),
                "reimbursed": sums.get((currency, "reimbursed"), Decimal("0.00")),
                "earned_per_hour": per_hour("labour"),
                "paid_per_hour": per_hour("labour_paid"),
            }
        )
    return rows


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))


def statement(user) -> dict:
    """A participant's own figures: paid and pending per currency and effective hourly pay,
    per programme (each programme's pay over its own confirmed hours) with the overall
    figure beside it, and any negative balance carried forward to the next payout.
    A fixed number of queries, however many programmes."""
    mine = LedgerEntry.objects.restrict(user).filter(participation__user=user)
    overall: dict = defaultdict(Decimal)
    per_programme: dict = defaultdict(lambda: defaultdict(Decimal))
    carried_sums: dict = defaultdict(Decimal)
    grouped = (
        mine.order_by()
        .annotate(labour=IS_LABOUR)
        .values("programme_id", "currency", "state", "batch_id", "labour")
        .annotate(total=money_sum())
    )
    for row in grouped:
        what = "paid" if row["state"] == LedgerEntry.State.PAID else "pending"
        amount = cents(row["total"])
        keys = [what]
        if row["labour"]:
            keys += ["labour", "labour_paid"] if what == "paid" else ["labour"]
        for key in keys:
            overall[(row["currency"], key)] += amount
            per_programme[row["programme_id"]][(row["currency"], key)] += amount
        if row["state"] == LedgerEntry.State.APPROVED and row["batch_id"] is None:
            # Approved entries no batch took: the payee's balance was below zero.
            carried_sums[(row["programme_id"], row["currency"])] += amount
    # Cost reimbursements are not pay: taken out of paid and pending, shown apart.
    reimbursed = (
        mine.reimbursements()
        .order_by()
        .values("programme_id", "currency", "state")
        .annotate(total=money_sum())
    )
    for row in reimbursed:
        what = "paid" if row["state"] == LedgerEntry.State.PAID else "pending"
        amount = cents(row["total"])
        for sums in (overall, per_programme[row["programme_id"]]):
            sums[(row["currency"], what)] -= amount
            sums[(row["currency"], "reimbursed")] += amount
    minutes = _minutes_by_programme(user)
    names = dict(
        Programme.objects.filter(pk__in=set(per_programme) | set(minutes)).values_list("pk", "name")
    )
    programmes = []
    for pk in sorted(names, key=lambda pk: names[pk]):
        own_hours = _hours(minutes.get(pk, 0))
        programmes.append(
            {"name": names[pk], "hours": own_hours, "rows": _pay_rows(per_programme[pk], own_hours)}
        )
    carried = [
        {"programme": names.get(pk, ""), "currency": currency, "amount": amount}
        for (pk, currency), amount in sorted(carried_sums.items())
        if amount < 0
    ]
    hours = _hours(sum(minutes.values()))
    return {
        "rows": _pay_rows(overall, hours),
        "hours": hours,
        "programmes": programmes,
        "carried": carried,
    }


def batch_pays(batch, user) -> bool:
    """Whether `user` is one of the batch's payees (who may not settle or download it)."""
    return batch.lines.filter(participation__user=user).exists()


def payments_back(user, *, limit: int = 20, days: int = 90) -> list:
    """This person's payments that failed or came back from the bank, newest first: those
    not paid again yet (no later line of theirs in that programme is paid), and those paid
    again in the last `days` days, each with `paid_again_on` and `paid_again_in` (the batch)."""
    paid_later = PayoutLine.objects.filter(
        participation=OuterRef("participation"),
        batch_id__gt=OuterRef("batch_id"),
        state=PayoutLine.State.PAID,
    ).order_by("batch_id")
    since = timezone.localdate() - timedelta(days=days)
    return list(
        PayoutLine.objects.filter(participation__user=user, state__in=PayoutLine.TAKEN_OUT)
        .annotate(
            paid_again_on=Subquery(paid_later.values("paid_at")[:1]),
            paid_again_in=Subquery(paid_later.values("batch_id")[:1]),
        )
        .filter(Q(paid_again_in__isnull=True) | Q(paid_again_on__gte=since))
        .select_related("participation__programme")
        .order_by("-outcome_on", "-pk")[:limit]
    )


def entry_in_words(entry: LedgerEntry, today) -> str:
    """Where a line of a tester's statement stands, in a sentence, with the date its payment
    is expected by when the terms it was earned under promise one (`payment_days`: business
    days of the programme's holiday calendar after finance approved it, the clock of every
    response target)."""
    S = LedgerEntry.State
    if entry.state == S.PAID:
        return f"Paid on {entry.paid_at:%d %b %Y}." if entry.paid_at else "Paid."
    if entry.state == S.EXPORTED and entry.batch_id:
        sent = f"Sent for payment on {entry.batch.created_at:%d %b %Y} (payout {entry.batch_id})"
        text = f"{sent}; it reaches your bank once the transfer clears."
    elif entry.state == S.APPROVED:
        text = "Approved; it goes into the next payout."
    elif entry.approved_by_id:
        text = "Earned; approved by one person of finance, waiting for the second."
    else:
        text = "Earned; waiting for finance to approve it."
    days = entry.terms_version.payment_days if entry.terms_version_id else None
    if days is None or entry.amount <= 0:
        return text
    within = f"within {days} business day{pluralize(days)}"
    calendar = entry.programme.holiday_calendar
    if entry.state == S.ACCRUED or payment_due(entry) is None:
        skipped = not_counted(calendar)
        return (
            f"{text} Once approved, it is expected in your bank {within} ({skipped} not counted)."
        )
    due = payment_due(entry).date()
    late = " That date has passed: the payment is late." if due < today else ""
    return (
        f"{text} Expected in your bank by {due:%d %b %Y} (the terms: {within} of approval).{late}"
    )


def payment_due(entry: LedgerEntry):
    """When the payment of an approved entry is due by the terms it was earned under
    (`payment_days` business days of the programme's holiday calendar after its approval,
    the second approval when it needed two), or None: no such term, not approved, not pay."""
    days = entry.terms_version.payment_days if entry.terms_version_id else None
    approved = entry.second_approved_at or entry.approved_at
    if days is None or entry.amount <= 0 or approved is None:
        return None
    if entry.state == LedgerEntry.State.ACCRUED:
        return None
    return add_business_days(approved, days, entry.programme.holiday_calendar)


def late_payments(entries, now) -> list[tuple[LedgerEntry, object]]:
    """(entry, due) of the entries of `entries` approved, not paid, and past the date their
    terms promise payment by, the earliest due first. One query: the approved pay waiting
    for a payout (a payout cycle's worth), its dates counted here."""
    candidates = (
        entries.filter(
            state__in=(LedgerEntry.State.APPROVED, LedgerEntry.State.EXPORTED),
            amount__gt=0,
            terms_version__payment_days__isnull=False,
            approved_at__lt=now,
        )
        .select_related("programme", "terms_version", "participation__user")
        .order_by("pk")
    )
    late = []
    for entry in candidates.iterator(chunk_size=1000):
        due = payment_due(entry)
        if due is not None and due < now:
            late.append((entry, due))
    return sorted(late, key=lambda pair: (pair[1], pair[0].pk))


def _minutes_by_programme(user) -> dict:
    return dict(
        TimeEntry.objects.confirmed()
        .filter(user=user)
        .order_by()
        .values("programme_id")
        .annotate(m=Sum("minutes"))
        .values_list("programme_id", "m")
    )


def finance_programmes(user, group: str = "money"):
    """Programmes where `user` may act with `group` ("money", "payouts", "manage")."""
    return Programme.objects.restrict(user, group).order_by("name")


def awaiting_approval(user):
    """Accrued entries this person could approve now (not their own, not their own first step)."""
    return (
        LedgerEntry.objects.restrict(user, "approve")
        .filter(state=LedgerEntry.State.ACCRUED)
        .exclude(Q(approved_by=user))
    )


# --- The ledger as CSV ------------------------------------------------------------------------

# The columns of the ledger CSV, in order: (header, value list lookup, how PostgreSQL writes
# it). Numbers, dates and ids go out as COPY writes them (NULL is an empty cell). Times are
# UTC to the second in ISO 8601 without an offset, the form LibreOffice reads as a time.
# Text that could run as a spreadsheet formula gets a leading apostrophe (the rule of
# core.csvsafe.safe_cell); empty text is an empty cell. The formats are the cheap ones: one
# to_char() per time rather than two, and ascii() rather than left() (the export's row in
# the benchmark).
_SAFE = (
    "CASE WHEN ascii({c}) IN (61, 43, 45, 64, 9, 13) "  # = + - @ tab CR
    "AND {c} !~ '^(" + NUMBER + ")$' THEN '''' || {c} ELSE NULLIF({c}, '') END"
)
_UTC = "to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
LEDGER_CSV = [
    ("entry id", "pk", "{c}"),
    ("created (UTC)", "created_at", _UTC),
    ("earned on", "earned_on", "{c}"),
    ("programme", "programme__name", _SAFE),
    ("participant", "participation__user__email", _SAFE),
    ("kind", "kind", "{c}"),
    ("amount", "amount", "{c}"),
    ("currency", "currency", "{c}"),
    ("state", "state", "{c}"),
    ("description", "description", _SAFE),
    ("source", "source_type", None),  # with source_id, below
    ("terms version", "terms_version__number", "{c}"),
    ("reverses", "reverses_id", "{c}"),
    ("batch", "batch_id", "{c}"),
    ("paid reference", "paid_reference", _SAFE),
    ("paid on", "paid_at", "{c}"),
]
LEDGER_CSV_HEADER = [name for name, _, _ in LEDGER_CSV]
COPY_CHUNK = 256 * 1024
EXPORT_WORK_MEM = "64MB"


def ledger_csv_copy(entries, *, slice_ids: int | None = None):
    """The ledger CSV of a queryset of entries, by entry id, as chunks of bytes (PostgreSQL).

    The filtered query is the ORM's own (the FilterSet and `visible_to` stay the only
    places that choose rows); PostgreSQL formats every cell and writes the CSV with
    `COPY … TO STDOUT`, which streams a million lines in seconds in constant memory.
    Output matches the Python writer cell for cell: the same UTC times, two-decimal
    amounts and formula escaping; empty cells are unquoted.

    With `slice_ids` (the whole-ledger export) it runs one COPY per range of that many
    entry ids (the first range a fifth as long): the database sorts a slice in a moment, so
    the first bytes leave at once rather than after sorting a million joined rows. A few
    entries spread over the whole ledger (one person's statement) are cheaper in one COPY:
    leave it None.
    """

    lookups = [lookup for _, lookup, _ in LEDGER_CSV] + ["source_id"]
    names = [f"c{i}" for i in range(len(lookups))]
    cells = []
    for i, (header, _, fmt) in enumerate(LEDGER_CSV):
        c = names[i]
        if header == "source":
            s = names[-1]
            value = _SAFE.format(c=f"(CASE WHEN {s} <> '' THEN {c} || ':' || {s} ELSE {c} END)")
        else:
            value = fmt.format(c=c)
        quoted = header.replace('"', '""')
        cells.append(f'{value} AS "{quoted}"')
    select, columns = ", ".join(cells), ", ".join(names)
    assert lookups[0] == "pk", "the first column is the entry id the CSV is sorted by"
    ranges = [(None, None)]
    if slice_ids:
        low = entries.order_by("pk").values_list("pk", flat=True).first()
        high = entries.order_by("-pk").values_list("pk", flat=True).first()
        if low is not None:
            # A first slice a fifth as long, so the first lines leave within a second.
            edges = [low - 1, *range(low - 1 + max(1, slice_ids // 5), high, slice_ids), high]
            ranges = list(itertools.pairwise(edges))
    # The inner query has no ORDER BY of its own, so PostgreSQL merges it into the outer
    # one and its parallel workers format the cells before the sort, not the leader after it.
    entries = entries.order_by()
    # One transaction: every slice reads the same snapshot of the ledger, and a slice's
    # sort fits in memory (at PostgreSQL's default 4 MB each worker spilled 14 MB to disk
    # per 250,000 lines). It is read-only and ends with the export, or when the client
    # goes away (the generator is closed and the block rolls back).
    with transaction.atomic(), connection.cursor() as cursor:
        set_local_work_mem(EXPORT_WORK_MEM)
        for i, (lo, hi) in enumerate(ranges):
            part = entries if lo is None else entries.filter(pk__gt=lo, pk__lte=hi)
            sql, params = part.values_list(*lookups).query.sql_with_params()
            copy_sql = (
                f"COPY (SELECT {select} FROM ({sql}) AS e({columns}) ORDER BY {names[0]}) "
                f"TO STDOUT WITH (FORMAT csv{', HEADER' if i == 0 else ''})"
            )
            yield from copy_out(cursor, copy_sql, params, chunk=COPY_CHUNK)


def ledger_csv(entries, *, slice_ids: int | None = None):
    """The ledger CSV of a queryset of entries, streamed: written by PostgreSQL's COPY where it
    runs (`ledger_csv_copy`, with `slice_ids`), row by row in Python elsewhere
    (`ledger_csv_rows`). The two are equal cell for cell."""
    return fast_path(
        entries.db,
        postgresql=lambda: ledger_csv_copy(entries, slice_ids=slice_ids),
        plain=lambda: ledger_csv_rows(entries),
    )


def ledger_csv_rows(entries):
    """The same ledger CSV written row by row in Python (the embedded SQLite run)."""
    writer = csv.writer(Echo(), lineterminator="\n")
    yield writer.writerow(LEDGER_CSV_HEADER)
    for e in entries.iterator(chunk_size=500):
        yield writer.writerow(
            [
                e.pk,
                utc_seconds(e.created_at),
                e.earned_on.isoformat(),
                safe_cell(e.programme.name),
                safe_cell(e.participation.user.email),
                e.kind,
                f"{e.amount:.2f}",
                e.currency,
                e.state,
                safe_cell(e.description),
                safe_cell(f"{e.source_type}:{e.source_id}" if e.source_id else e.source_type),
                e.terms_version.number if e.terms_version_id else "",
                e.reverses_id or "",
                e.batch_id or "",
                safe_cell(e.paid_reference),
                e.paid_at.isoformat() if e.paid_at else "",
            ]
        )


def money_by_programme(user) -> dict[int, list[dict]]:
    """A participant's pay per programme and currency (the portal home), in one grouped query:
    programme id → [{"currency", "accrued", "approved", "exported", "paid", "owed"}], where
    owed is everything not yet paid (accrued, approved, or in a payout batch)."""
    S = LedgerEntry.State
    sums: dict = defaultdict(lambda: defaultdict(lambda: Decimal("0.00")))
    for row in (
        LedgerEntry.objects.restrict(user)
        .filter(participation__user=user)
        .order_by()
        .values("programme_id", "currency", "state")
        .annotate(total=money_sum())
    ):
        sums[(row["programme_id"], row["currency"])][row["state"]] += cents(row["total"])
    out: dict[int, list[dict]] = defaultdict(list)
    for (programme_id, currency), by_state in sorted(sums.items()):
        out[programme_id].append(
            {
                "currency": currency,
                "accrued": by_state[S.ACCRUED],
                "approved": by_state[S.APPROVED],
                "exported": by_state[S.EXPORTED],
                "paid": by_state[S.PAID],
                "owed": sum((by_state[s] for s in LedgerEntry.PENDING), Decimal("0.00")),
            }
        )
    return dict(out)


def attention_counts(user, now) -> list:
    """Staff home: accrued pay this person may approve, per programme (one grouped query over
    `awaiting_approval`), and approved pay not paid by the date its terms promise (urgent)."""

    entries = reverse("compensation:entries")
    counts = per_programme(
        awaiting_approval(user),
        order=50,
        label=gettext("pay entries to approve"),
        url=lambda r: f"{entries}?programme={r['programme_id']}&state=accrued&awaiting_me=on",
    )
    late: dict[int, int] = defaultdict(int)
    theirs = LedgerEntry.objects.filter(programme__in=finance_programmes(user))
    for entry, _ in late_payments(theirs, now):
        late[entry.programme_id] += 1
    counts += [
        Attention(
            pk,
            49,
            gettext("payments past their date"),
            n,
            f"{entries}?programme={pk}&late=on",
            True,
        )
        for pk, n in sorted(late.items())
    ]
    return counts
