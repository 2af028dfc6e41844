"""The payment clock: approved pay the terms promise to pay within `payment_days` business days
(`selectors.payment_due`). Past that date, the programme's managers and finance are told
(audited), then, one business day later and still unpaid, the payee. The beat runs it with the
other response targets' sweeps (`recourse.tasks.escalate_contests`)."""

import json

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.models import AuditEvent
from audit.services import record
from core.businessdays import add_business_days
from core.services import notify
from programs import policy

from ..models import LedgerEntry
from ..selectors import late_payments

ESCALATED = "compensation.payment.late_escalated"
TOLD = "compensation.payment.late_told"


def _seen(entries) -> dict[tuple[str, str], object]:
    """{(action, entry id): the sweep's moment} of the clock's events already recorded for
    `entries` (the moment is in the event's data; its creation time otherwise)."""
    return {
        (action, object_id): parse_datetime(json.loads(data).get("at") or "") or created
        for action, object_id, data, created in AuditEvent.objects.filter(
            action__in=(ESCALATED, TOLD),
            object_type=LedgerEntry._meta.label_lower,
            object_id__in=[str(e.pk) for e in entries],
        ).values_list("action", "object_id", "data_json", "created_at")
    }


def payments_escalate(*, now=None) -> tuple[int, int]:
    """The payment clock's sweep. Returns (escalated, payees told); safe to run twice (each
    step is recorded once per entry, under a lock on the entry)."""
    now = now or timezone.now()
    late = late_payments(LedgerEntry.objects.all(), now)
    seen = _seen([entry for entry, _ in late])
    escalated = told = 0
    for entry, due in late:
        key = str(entry.pk)
        if (ESCALATED, key) not in seen:
            with transaction.atomic():
                LedgerEntry.objects.select_for_update().filter(pk=entry.pk).first()
                if not _seen([entry]):
                    _escalate(entry, due, now)
                    escalated += 1
            continue
        calendar = entry.programme.holiday_calendar
        if (TOLD, key) in seen or add_business_days(seen[(ESCALATED, key)], 1, calendar) > now:
            continue
        with transaction.atomic():
            LedgerEntry.objects.select_for_update().filter(pk=entry.pk).first()
            if (TOLD, key) not in _seen([entry]):
                _tell_payee(entry, due)
                told += 1
    return escalated, told


def _escalate(entry: LedgerEntry, due, now) -> None:
    payee = entry.participation.user
    record(
        action=ESCALATED,
        obj=entry,
        programme=entry.programme,
        subject=payee,
        data={"due": due, "at": now, "amount": str(entry.amount), "currency": entry.currency},
    )
    for person in policy.staff_of(entry.programme, policy.MONEY):
        if person.pk == payee.pk:
            continue
        notify(
            user=person,
            subject=f"Payment overdue: entry {entry.pk}",
            body=f"{entry.amount} {entry.currency} owed to {payee.email} in "
            f"{entry.programme.name} was due to be paid by {due:%Y-%m-%d} and is not.",
            url=reverse("compensation:entry", args=[entry.pk]),
            dedupe_key=f"compensation.payment_late:{entry.pk}:{person.pk}",
            programme=entry.programme,
        )


def _tell_payee(entry: LedgerEntry, due) -> None:
    record(
        action=TOLD,
        obj=entry,
        programme=entry.programme,
        subject=entry.participation.user,
        data={"due": due},
    )
    notify(
        user=entry.participation.user,
        subject=f"Your payment of {entry.amount} {entry.currency} is late",
        body=f"Your terms promise it by {due:%Y-%m-%d}; it is not paid yet. The programme's "
        "managers and finance were told. You may contest a decision that costs you from "
        "your statement.",
        url=reverse("compensation:statement"),
        dedupe_key=f"compensation.payment_late_told:{entry.pk}",
        programme=entry.programme,
    )
