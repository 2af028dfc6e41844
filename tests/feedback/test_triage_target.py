"""The triage target of the terms runs on each ticket and shows to both sides: the due date
in business days of the programme's holiday calendar, overdue once it passes, and whether
the decision came within it."""

from datetime import datetime

import pytest
from django.utils import timezone

from feedback import services
from feedback.models import Ticket
from programs.models import Programme, TermsVersion

pytestmark = pytest.mark.django_db

FILED = timezone.make_aware(datetime(2026, 4, 2, 18, 0))  # a Thursday; Easter Monday is 6 April


def _target(programme, days, calendar="FR"):
    TermsVersion.objects.filter(programme=programme).update(triage_days=days)
    Programme.objects.filter(pk=programme.pk).update(holiday_calendar=calendar)


def _clock_text(client, person, ticket) -> str:
    client.force_login(person)
    html = client.get(ticket.get_absolute_url()).content.decode()
    start = html.index("<dt>Triage target</dt>")
    return html[start : html.index("</dd>", start)]


def test_both_sides_see_the_triage_due_date_across_a_holiday_and_overdue_after_it(
    client, programme, participant, reviewer, file_ticket
):
    _target(programme, 2)
    ticket = file_ticket(participant, programme)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=FILED)
    for person in (participant, reviewer):
        text = _clock_text(client, person, ticket)
        assert "a decision is promised by 2026-04-07 18:00 UTC (2 business days)" in text
        assert "overdue" in text  # that Tuesday has passed
    services.ticket_set_status(actor=reviewer, ticket=ticket, status="accepted")
    Ticket.objects.filter(pk=ticket.pk).update(triaged_at=FILED.replace(day=7, hour=9))
    assert 'decided <span class="badge ok">within</span> the promised 2 business days' in (
        _clock_text(client, participant, ticket)
    )


def test_a_ticket_under_terms_without_a_triage_target_shows_no_clock(
    client, programme, participant, file_ticket
):
    ticket = file_ticket(participant, programme)
    client.force_login(participant)
    assert "Triage target" not in client.get(ticket.get_absolute_url()).content.decode()
