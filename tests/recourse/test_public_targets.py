"""The public page shows, per response target and quarter, the median days taken and the share
met; a date missed, or passed with no answer yet, counts as missed."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from feedback import services as feedback
from feedback.models import Ticket, TicketComment
from programs.models import TermsVersion
from recourse.models import Contest
from tests.factories import make_participant
from transparency import figures

pytestmark = pytest.mark.django_db


def _at(day, hour=10):
    return timezone.make_aware(datetime(2026, 10, day, hour, 0))


def test_the_public_page_shows_the_triage_target_kept_per_quarter_missed_counting_as_missed(
    client, redteam, reviewer
):
    # Five reporters file on Monday 5 Oct 2026; the terms promise triage in 2 business days
    # (due Wednesday 7 Oct 10:00). Three are triaged after 1.5 days, one after 4 (late), one
    # never (open, past its date: missed).
    taken = [timedelta(days=1.5)] * 3 + [timedelta(days=4), None]
    for n, after in enumerate(taken):
        person = make_participant(redteam, email=f"reporter{n}@example.com")
        ticket = feedback.ticket_file(
            actor=person, programme=redteam, kind="feedback", title=f"T{n}", description="d"
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=_at(5), triaged_at=None if after is None else _at(5) + after
        )
    # Still within its date: not counted yet.
    late_filer = make_participant(redteam, email="recent@example.com")
    feedback.ticket_file(
        actor=late_filer, programme=redteam, kind="feedback", title="New", description="d"
    )
    figures.refresh(redteam)

    page = client.get(f"/programmes/{redteam.slug}/").content.decode()

    assert "Response targets kept" in page
    assert "Triage decision, 2026 Q4" in page
    assert "median 1.5 days; 60 % met (of 5)" in page
    kept = figures.latest(redteam).figures["response_targets"]["triage"]["2026 Q4"]
    assert kept == {"counted": 5, "median_days": 1.5, "met_percent": 60}
    assert "First response, 2026 Q4" not in page  # these terms promise no first response


def test_the_public_page_shows_the_first_response_target_kept_per_quarter(
    client, redteam, reviewer
):
    # Within 1 business day (due Tuesday 6 Oct 10:00): four answered by a comment after half
    # a day, one never answered (missed).
    TermsVersion.objects.filter(programme=redteam).update(first_response_days=1)
    for n in range(5):
        person = make_participant(redteam, email=f"asker{n}@example.com")
        ticket = feedback.ticket_file(
            actor=person, programme=redteam, kind="feedback", title=f"Q{n}", description="d"
        )
        Ticket.objects.filter(pk=ticket.pk).update(created_at=_at(5))
        if n < 4:
            comment = feedback.ticket_comment(author=reviewer, ticket=ticket, body="On it.")
            TicketComment.objects.filter(pk=comment.pk).update(created_at=_at(5, 22))
    figures.refresh(redteam)

    page = client.get(f"/programmes/{redteam.slug}/").content.decode()

    assert "First response, 2026 Q4" in page
    assert "median 0.5 days; 80 % met (of 5)" in page


def test_a_target_resting_on_fewer_than_five_people_is_withheld(
    client, redteam, closed_ticket, teamer, second_reviewer
):
    client.force_login(teamer)
    client.post(
        f"/contests/new/ticket/{closed_ticket.pk}/",
        {"reason": "other", "text": "Look again"},
    )
    contest = Contest.objects.get()
    Contest.objects.filter(pk=contest.pk).update(due_at=timezone.now() - timedelta(hours=1))
    figures.refresh(redteam)
    client.logout()

    page = client.get(f"/programmes/{redteam.slug}/").content.decode()

    now = timezone.now()
    quarter = f"{now.year} Q{(now.month - 1) // 3 + 1}"
    quarters = figures.latest(redteam).figures["response_targets"]["contest"]
    assert list(quarters) == [quarter] and quarters[quarter]["withheld"]
    assert f"Decision on a contest, {quarter}" in page
