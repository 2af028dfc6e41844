"""/audit/mine/ says in a sentence who did what, to what, and the amount."""

from decimal import Decimal

from django.utils import timezone

from compensation import services as pay
from labour import services as labour
from participants.models import Participation


def test_events_about_me_read_as_sentences_with_the_amount(
    programme, participant, manager, finance, as_user
):
    participation = Participation.objects.get(user=participant, programme=programme)
    entry = pay.award_create(
        actor=manager,
        participation=participation,
        kind="prize",
        amount=Decimal("25.00"),
        currency="EUR",
        reason="Best short film",
    )
    pay.entries_approve(actor=finance, entry_ids=[entry.pk])
    time = labour.time_entry_log(
        actor=participant,
        programme=programme,
        date=timezone.localdate(),
        minutes=90,
        activity="testing",
    )
    page = as_user(participant).get("/audit/mine/").content.decode()
    assert f"finance@example.com approved pay entry #{entry.pk} (25.00 EUR) in Alpha." in page
    assert f"You logged hours entry #{time.pk} (90 min) in Alpha." in page
    assert f"manager@example.com accrued pay entry #{entry.pk} (25.00 EUR) in Alpha." in page
    # The code the chain hashes is still there, beside the sentence.
    assert "compensation.entry.approved" in page
