"""The payment-after-approval target as a running clock (issue 34): the terms promise payment
within `payment_days` business days of approval; the due date shows to finance and to the
payee; past it, the programme's managers and finance are told, then the payee; the staff
home counts late payments, linking to exactly them; the public page shows the median and
the share met per quarter, across the programme's holidays."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.describe import VERBS
from audit.models import AuditEvent
from compensation import services as pay
from compensation.models import LedgerEntry, PayoutBatch
from core.models import OutboxMessage
from participants.models import Participation
from programs.models import TermsVersion
from tests.factories import make_participant
from transparency import figures

pytestmark = pytest.mark.django_db


def _prize(programme, person, manager, finance, *, approved_at):
    """A prize of 10 EUR to `person`, approved by finance at `approved_at`."""
    entry = pay.award_create(
        actor=manager,
        participation=Participation.objects.get(user=person, programme=programme),
        kind="prize",
        amount=Decimal("10.00"),
        currency="EUR",
        reason="Best finding",
    )
    pay.entries_approve(actor=finance, entry_ids=[entry.pk])
    LedgerEntry.objects.filter(pk=entry.pk).workflow_update(approved_at=approved_at)
    return LedgerEntry.objects.get(pk=entry.pk)


@pytest.fixture
def two_days(programme):
    programme.holiday_calendar = "FR"
    programme.save(update_fields=["holiday_calendar"])
    TermsVersion.objects.filter(programme=programme).update(payment_days=2)
    return programme


def test_a_late_payment_escalates_to_managers_and_finance_then_tells_the_payee(
    client, two_days, participant, manager, finance
):
    now = timezone.now()
    late = _prize(two_days, participant, manager, finance, approved_at=now - timedelta(days=10))
    recent = _prize(two_days, participant, manager, finance, approved_at=now)
    # Finance sees the date on the entry page: past, so late; the other one not yet due.
    client.force_login(finance)
    page = client.get(reverse("compensation:entry", args=[late.pk])).content.decode()
    assert "Payment due" in page and "within 2 business days of approval" in page
    assert '<span class="badge bad">late</span>' in page
    page = client.get(reverse("compensation:entry", args=[recent.pk])).content.decode()
    assert "Payment due" in page and '<span class="badge bad">late</span>' not in page
    # The staff home counts it, urgent, linking to exactly the late payments.
    home = client.get(reverse("staff:home")).content.decode()
    link = f"/finance/entries/?programme={two_days.pk}&amp;late=on"
    assert f'<a href="{link}"><strong>1 payments past their date</strong></a>' in home
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'href="/finance/entries/{late.pk}/"' in listed
    assert f'href="/finance/entries/{recent.pk}/"' not in listed

    assert pay.payments_escalate(now=now) == (1, 0)
    assert pay.payments_escalate(now=now) == (0, 0)  # safe to run twice
    told = set(
        OutboxMessage.objects.filter(subject=f"Payment overdue: entry {late.pk}").values_list(
            "recipient__email", flat=True
        )
    )
    assert told == {"manager@example.com", "finance@example.com"}
    event = AuditEvent.objects.get(action="compensation.payment.late_escalated")
    assert event.object_id == str(late.pk) and event.subject == participant
    assert not OutboxMessage.objects.filter(recipient=participant, subject__contains="is late")
    # One business day after the escalation, still unpaid: the payee is told, once.
    later = event.created_at + timedelta(days=4)
    assert pay.payments_escalate(now=later) == (1, 1)  # and the recent one is late by then
    assert pay.payments_escalate(now=later) == (0, 0)
    assert (
        OutboxMessage.objects.filter(
            recipient=participant, subject="Your payment of 10.00 EUR is late"
        ).count()
        == 1
    )
    assert {"compensation.payment.late_escalated", "compensation.payment.late_told"} <= set(VERBS)
    # The payee's statement says the date has passed.
    client.force_login(participant)
    statement = client.get(reverse("compensation:statement")).content.decode()
    assert "That date has passed: the payment is late." in statement


def test_the_public_page_shows_the_payment_target_kept_per_quarter_across_a_holiday(
    client, two_days, manager, finance
):
    # Approved on Tuesday 10 Nov 2026: Wednesday 11 Nov is a French holiday, so 2 business
    # days fall on Friday 13 Nov. Three paid that Friday (in time only thanks to the holiday),
    # one on Monday 16 (late), one never (missed).
    approved = timezone.make_aware(datetime(2026, 11, 10, 10, 0))
    batch = PayoutBatch.objects.create(
        currency="EUR",
        period_start=approved.date(),
        period_end=approved.date(),
        status="paid",
        created_by=finance,
    )
    paid = [datetime(2026, 11, 13).date()] * 3 + [datetime(2026, 11, 16).date(), None]
    for n, paid_on in enumerate(paid):
        person = make_participant(two_days, email=f"payee{n}@example.com")
        entry = _prize(two_days, person, manager, finance, approved_at=approved)
        if paid_on is not None:
            LedgerEntry.objects.filter(pk=entry.pk).workflow_update(
                state="paid", batch=batch, paid_at=paid_on
            )
    figures.refresh(two_days)

    page = client.get(f"/programmes/{two_days.slug}/").content.decode()

    assert "Payment after approval, 2026 Q4" in page
    kept = figures.latest(two_days).figures["response_targets"]["payment"]["2026 Q4"]
    assert (kept["counted"], kept["met_percent"], kept["median_days"]) == (5, 60, 2.6)
    assert "median 2.6 days; 60 % met (of 5)" in page
