"""The demo data of tickets and hours."""

import time

from audit.models import AuditEvent
from demo import base as core_demo
from demo import feedback as demo
from feedback.models import Ticket, TicketComment
from labour.models import TimeEntry


def test_the_demo_has_tickets_of_every_kind_and_status_and_reviewed_hours(db):
    ctx = core_demo.seed()
    started = time.monotonic()
    demo.seed(ctx)
    elapsed = time.monotonic() - started
    assert set(Ticket.objects.values_list("kind", flat=True)) == set(Ticket.Kind.values)
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Ticket.Status.values)
    assert set(Ticket.objects.values_list("programme__slug", flat=True)) == {
        "artist-alpha",
        "fair-beta",
    }
    assert TicketComment.objects.filter(visible_to_reporter=False).exists()
    assert TicketComment.objects.filter(visible_to_reporter=True).exists()
    statuses = set(TimeEntry.objects.values_list("status", flat=True))
    assert statuses == set(TimeEntry.Status.values)
    assert AuditEvent.objects.filter(action="feedback.time.confirmed").exists()
    count = Ticket.objects.count()
    demo.seed(ctx)
    assert Ticket.objects.count() == count
    print(f"\nFIGURE feedback demo: tickets and hours seeded in {elapsed:.2f} s")
