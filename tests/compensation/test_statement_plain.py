"""The statement speaks plainly (issue 33): pay for labour earned per confirmed hour (paid or
not) beside what was paid per hour, prizes and grants apart; each line says in words where it
stands, with the date the terms promise it by."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from compensation import services
from compensation.models import LedgerEntry
from core.businessdays import add_business_days
from labour import services as labour
from participants.models import Participation
from programs.models import TermsVersion


def _cells(page: str, *values) -> bool:
    # The cells carry their column's name for the phone layout (data-label).
    plain = re.sub(r'<td data-label="[^"]*">', "<td>", page)
    return "".join(f"<td>{v}</td>" for v in values) in plain


def test_earned_per_hour_beside_paid_per_hour_and_lines_in_words(
    as_user, programme, participant, reviewer, manager, finance, approve, make_batch
):
    TermsVersion.objects.filter(programme=programme).update(payment_days=10)
    entry = labour.time_entry_log(
        actor=participant,
        programme=programme,
        date=timezone.localdate() - timedelta(days=1),
        minutes=600,
        activity="testing",
    )
    labour.time_entry_confirm(actor=reviewer, entry=entry)
    services.accrue_hourly(programme=programme)
    hourly = LedgerEntry.objects.get(participation__user=participant, kind="hourly")
    grant = services.award_create(
        actor=manager,
        participation=Participation.objects.get(user=participant, programme=programme),
        kind="grant",
        amount="100.00",
        currency="EUR",
        reason="Travel grant",
    )
    approve(grant)
    services.batch_mark_paid(
        actor=finance, batch=make_batch(), reference="G1", paid_on=timezone.localdate()
    )
    page = as_user(participant).get(reverse("compensation:statement")).content.decode()
    # 10 h at 25.00 earned and not paid yet; the paid grant is no pay per hour.
    assert 'Earned per confirmed hour</th><th scope="col">Paid per confirmed hour' in page
    assert _cells(page, "EUR", "100.00", "250.00", "25.00", "0.00")
    # Not approved yet: the promise is counted from approval, so no date yet.
    assert (
        "Earned; waiting for finance to approve it. Once approved, it is expected in your bank "
        "within 10 business days (weekends not counted)." in page
    )
    assert f"Paid on {timezone.localdate():%d %b %Y}." in page

    # Approved, then in a payout batch: said in words, never "Exported".
    approve(hourly)
    page = as_user(participant).get(reverse("compensation:statement")).content.decode()
    hourly.refresh_from_db()
    due = add_business_days(hourly.second_approved_at or hourly.approved_at, 10).strftime(
        "%d %b %Y"
    )
    assert (
        f"Approved; it goes into the next payout. Expected in your bank by {due} "
        "(the terms: within 10 business days of approval)." in page
    )
    batch = make_batch()
    page = as_user(participant).get(reverse("compensation:statement")).content.decode()
    assert (
        f"Sent for payment on {batch.created_at:%d %b %Y} (payout {batch.pk}); it reaches your "
        "bank once the transfer clears." in page
    )
    assert ">Exported<" not in page
