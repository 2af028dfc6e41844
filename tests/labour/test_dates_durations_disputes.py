"""Hours as people write them, dates the picker shows, and a dispute the tester can answer."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboxMessage
from labour import services
from labour.models import TimeEntry

from .conftest import actions_of


def today():
    return timezone.localdate()


def post_hours(client, programme, minutes, day=None):
    return client.post(
        "/hours/",
        {
            "programme": programme.pk,
            "date": (day or today()).isoformat(),
            "minutes": minutes,
            "activity": "testing",
        },
    )


@pytest.mark.parametrize(
    ("written", "minutes"),
    [
        ("90", 90),
        ("90 min", 90),
        ("1:30", 90),
        ("1.5 h", 90),
        ("1,5h", 90),
        ("1h 30", 90),
        ("2 hours", 120),
        ("0:45", 45),
    ],
)
def test_time_worked_is_accepted_as_people_write_it(
    programme, participant, as_user, written, minutes
):
    response = post_hours(as_user(participant), programme, written)
    assert response.status_code == 302
    assert TimeEntry.objects.get().minutes == minutes


@pytest.mark.parametrize("written", ["1.33 h", "an hour", "1:75", "-30", "0", "25 h", "9" * 30])
def test_unreadable_or_impossible_time_is_refused_with_a_clear_message(
    programme, participant, as_user, written
):
    response = post_hours(as_user(participant), programme, written)
    assert response.status_code == 400
    page = response.content.decode()
    assert any(
        text in page
        for text in (
            "Write the time as",
            "whole number of minutes",
            "at least 1 minute",
            "At most 1440 minutes",
        )
    ), page
    assert TimeEntry.objects.count() == 0


def test_the_date_picker_shows_the_date_of_an_entry_being_edited(programme, participant, as_user):
    day = today() - timedelta(days=1)
    entry = services.time_entry_log(
        actor=participant, programme=programme, date=day, minutes=90, activity="testing"
    )
    page = as_user(participant).get(f"/hours/{entry.pk}/edit/").content.decode()
    # type=date shows only an ISO value; the locale's 27/11/2026 would show blank.
    assert f'type="date" name="date" value="{day.isoformat()}"' in page
    assert 'value="1:30"' in page
    log_page = as_user(participant).get("/hours/").content.decode()
    assert f'value="{today().isoformat()}"' in log_page


def test_date_filters_of_the_queues_keep_their_iso_value(reviewer, finance, as_user, programme):
    page = as_user(reviewer).get("/hours/queue/?date_from=2026-11-02").content.decode()
    assert 'type="date" name="date_from" value="2026-11-02"' in page
    page = as_user(finance).get("/finance/entries/?created_after=2026-11-02").content.decode()
    assert 'value="2026-11-02"' in page and 'aria-label="From"' in page


def test_a_disputed_entry_is_answered_and_corrected_then_waits_for_confirmation(
    programme, participant, reviewer, as_user
):
    entry = services.time_entry_log(
        actor=participant, programme=programme, date=today(), minutes=120, activity="testing"
    )
    services.time_entry_dispute(actor=reviewer, entry=entry, reason="The session was an hour.")
    client = as_user(participant)
    hours = client.get("/hours/").content.decode()
    assert "Answer or correct" in hours
    form = client.get(f"/hours/{entry.pk}/edit/").content.decode()
    assert "The session was an hour." in form and "Your answer to the dispute" in form

    # Without an answer nothing changes.
    data = {"date": today().isoformat(), "minutes": "1 h", "activity": "testing"}
    response = client.post(f"/hours/{entry.pk}/edit/", data)
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.status == TimeEntry.Status.DISPUTED and entry.minutes == 120

    response = client.post(
        f"/hours/{entry.pk}/edit/", {**data, "answer": "Right, I logged the prep too."}, follow=True
    )
    assert "waits for confirmation again" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == TimeEntry.Status.LOGGED and entry.minutes == 60
    assert entry.dispute_answer == "Right, I logged the prep too."
    assert actions_of(entry)[-1] == "feedback.time.dispute_answered"
    assert OutboxMessage.objects.filter(recipient=reviewer, subject__contains="answered").exists()
    queue = as_user(reviewer).get("/hours/queue/").content.decode()
    assert "Answer: Right, I logged the prep too." in queue
    services.time_entry_confirm(actor=reviewer, entry=entry)
    entry.refresh_from_db()
    assert entry.status == TimeEntry.Status.CONFIRMED


def test_a_second_dispute_of_the_same_entry_is_told_again(
    programme, participant, reviewer, as_user
):
    entry = services.time_entry_log(
        actor=participant, programme=programme, date=today(), minutes=120, activity="testing"
    )
    services.time_entry_dispute(actor=reviewer, entry=entry, reason="The session was an hour.")
    as_user(participant).post(
        f"/hours/{entry.pk}/edit/",
        {
            "date": today().isoformat(),
            "minutes": "90 min",
            "activity": "testing",
            "answer": "Prep.",
        },
    )
    entry.refresh_from_db()
    services.time_entry_dispute(actor=reviewer, entry=entry, reason="Still an hour.")
    told = OutboxMessage.objects.filter(recipient=participant, subject__contains="were disputed")
    assert told.count() == 2
    assert "Still an hour." in told.order_by("-pk").first().body
