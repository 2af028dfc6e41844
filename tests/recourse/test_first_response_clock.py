"""The first-response clock: a ticket nobody answered (no triage decision, no comment the
reporter reads) past the date its terms promise is escalated to the programme's managers,
then one business day later the reporter is told; the staff home counts those tickets and
links to the queue filtered to exactly them; both sides see the date."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.describe import VERBS
from audit.models import AuditEvent
from core.businessdays import add_business_days
from core.models import OutboxMessage
from feedback import services as feedback
from feedback.models import Ticket
from feedback.services import tickets_escalate_no_first_response as sweep
from programs.models import TermsVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def first_response_in_two_days(redteam):
    # Only the first-response target here: the triage clock has its own tests.
    TermsVersion.objects.filter(programme=redteam).update(first_response_days=2, triage_days=None)


def filed(teamer, redteam, at, title="Waiting"):
    ticket = feedback.ticket_file(
        actor=teamer, programme=redteam, kind="feedback", title=title, description="d"
    )
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at)
    return Ticket.objects.select_related("terms_version", "programme").get(pk=ticket.pk)


def test_the_sweep_escalates_an_unanswered_ticket_across_a_holiday_then_tells_the_reporter_once(
    redteam, teamer, manager
):
    # Filed Monday 12 July 2027: 2 business days skip Bastille Day (Wednesday 14, FR), so the
    # first response is due Thursday 15 at 10:00, not Wednesday 14 as without the calendar.
    at = timezone.make_aware(timezone.datetime(2027, 7, 12, 10, 0))
    ticket = filed(teamer, redteam, at)
    due = ticket.first_response_due_at
    assert (due.date().isoformat(), add_business_days(at, 2, "").date().isoformat()) == (
        "2027-07-15",
        "2027-07-14",
    )

    assert sweep(now=at.replace(day=14, hour=12)) == (0, 0)  # the holiday is not counted
    assert sweep(now=due - timedelta(minutes=1)) == (0, 0)
    assert sweep(now=due + timedelta(minutes=1)) == (1, 0)
    assert OutboxMessage.objects.filter(
        to_email="manager@example.com", subject=f"First response overdue: ticket #{ticket.pk}"
    ).exists()
    assert not OutboxMessage.objects.filter(subject__contains="the first response is late")
    assert sweep(now=due + timedelta(minutes=2)) == (0, 0)  # safe to run twice
    assert sweep(now=due + timedelta(days=1)) == (0, 0)  # not yet a business day later
    # One business day after the escalation: Friday 16 July 10:02.
    assert sweep(now=due + timedelta(days=1, minutes=2)) == (0, 1)
    told = OutboxMessage.objects.filter(
        to_email="teamer@example.com", subject=f"Ticket #{ticket.pk}: the first response is late"
    )
    assert told.count() == 1 and "2027-07-15" in told.get().body
    assert sweep(now=due + timedelta(days=2)) == (0, 0)
    assert OutboxMessage.objects.filter(subject__icontains="first response").count() == 2
    actions = set(
        AuditEvent.objects.filter(object_id=str(ticket.pk)).values_list("action", flat=True)
    )
    assert {"feedback.ticket.response_escalated", "feedback.ticket.response_late_told"} <= actions
    assert {"feedback.ticket.response_escalated", "feedback.ticket.response_late_told"} <= set(
        VERBS
    )


def test_only_an_answer_the_reporter_reads_stops_the_clock(as_user, redteam, teamer, reviewer):
    at = timezone.now() - timedelta(days=10)
    noted = filed(teamer, redteam, at, "Noted internally")
    own = filed(teamer, redteam, at, "The reporter wrote again")
    answered = filed(teamer, redteam, at, "Answered")
    decided = filed(teamer, redteam, at, "Decided")
    asked = filed(teamer, redteam, at, "Asked for more")
    staff = as_user(reviewer)
    staff.post(f"/tickets/{noted.pk}/comment/", {"body": "Looks like 2.1.", "internal": "on"})
    staff.post(f"/tickets/{answered.pk}/comment/", {"body": "We are on it."})
    staff.post(f"/tickets/{decided.pk}/status/", {"status": "triaged"})
    staff.post(f"/tickets/{asked.pk}/status/", {"status": "needs_info", "note": "Which version?"})
    tester = as_user(teamer)
    tester.post(f"/tickets/{own.pk}/comment/", {"body": "Any news?"})
    tester.post(f"/tickets/{asked.pk}/comment/", {"body": "Here are the logs."})
    asked.refresh_from_db()
    assert asked.status == "new" and asked.triaged_at is None  # back in the queue

    assert sweep() == (2, 0)  # the internal note and the reporter's own comment are no answer

    late = set(
        Ticket.objects.filter(response_escalated_at__isnull=False).values_list("pk", flat=True)
    )
    assert late == {noted.pk, own.pk}
    page = tester.get(f"/tickets/{noted.pk}/").content.decode()
    assert '<span class="badge bad">overdue</span>' in page
    assert "Looks like 2.1." not in page


def test_the_staff_home_counts_the_late_tickets_and_links_to_exactly_them(
    as_user, redteam, teamer, manager, reviewer
):
    now = timezone.now()
    late = filed(teamer, redteam, now - timedelta(days=10), "Late")
    answered_late = filed(teamer, redteam, now - timedelta(days=10), "Answered after the date")
    fresh = filed(teamer, redteam, now, "Fresh")
    assert sweep() == (2, 0)
    as_user(reviewer).post(f"/tickets/{answered_late.pk}/comment/", {"body": "Sorry, on it."})

    client = as_user(manager)
    home = client.get("/staff/").content.decode()
    link = f"/tickets/triage/?programme={redteam.pk}&amp;status=new&amp;response_overdue=on"
    assert f'<a href="{link}"><strong>1 tickets past their first-response date</strong></a>' in home
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'href="/tickets/{late.pk}/"' in listed
    assert f'href="/tickets/{answered_late.pk}/"' not in listed
    assert f'href="/tickets/{fresh.pk}/"' not in listed

    # The whole queue shows each ticket's first-response date, and which are overdue.
    queue = client.get("/tickets/triage/").content.decode()
    assert "First response by" in queue
    for ticket in (late, fresh):
        assert ticket.first_response_due_at.strftime("%Y-%m-%d %H:%M") in queue
    assert queue.count('<span class="badge bad">overdue</span>') == 1
    assert '<span class="muted">answered</span>' in queue
