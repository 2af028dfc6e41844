"""The labour log: logging time, the week and month views, confirming and disputing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from core.models import OutboxMessage
from labour import selectors, services
from labour.models import TimeEntry
from tests.factories import make_participant

from .conftest import actions_of


def today():
    return timezone.localdate()


def log(user, programme, minutes=60, day=None, **extra):
    return services.time_entry_log(
        actor=user,
        programme=programme,
        date=day or today(),
        minutes=minutes,
        activity=extra.pop("activity", "testing"),
        **extra,
    )


def form(programme, **extra):
    data = {
        "programme": programme.pk,
        "date": today().isoformat(),
        "minutes": 90,
        "activity": "testing",
        "note": "Tried long prompts",
    }
    data.update(extra)
    return data


def test_a_participant_logs_time_and_sees_it_against_the_expected_hours(
    programme, participant, as_user
):
    client = as_user(participant)
    response = client.post("/hours/", form(programme), follow=True)
    assert response.status_code == 200
    entry = TimeEntry.objects.get()
    assert entry.minutes == 90 and entry.status == TimeEntry.Status.LOGGED
    page = response.content.decode()
    assert "1.5 h" in page
    assert "5.0 h" in page  # expected hours per week from the terms
    assert actions_of(entry) == ["feedback.time.logged"]


def test_future_dates_are_refused(programme, participant, as_user):
    tomorrow = (today() + timedelta(days=1)).isoformat()
    response = as_user(participant).post("/hours/", form(programme, date=tomorrow))
    assert response.status_code == 400
    assert "a day that has not happened yet" in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_more_than_24_hours_in_one_day_is_refused_across_programmes(
    programme, other_programme, participant, as_user
):
    make_participant(other_programme, user=participant)
    log(participant, programme, minutes=20 * 60)
    client = as_user(participant)
    response = client.post("/hours/", form(other_programme, minutes=5 * 60))
    assert response.status_code == 400
    assert "at most 240 more minutes fit" in response.content.decode()
    assert TimeEntry.objects.count() == 1
    response = client.post("/hours/", form(other_programme, minutes=4 * 60))
    assert response.status_code == 302
    assert TimeEntry.objects.count() == 2


def test_logging_needs_accepted_terms(programme, as_user):
    newcomer = make_participant(programme, consent=False, email="late@example.com")
    response = as_user(newcomer).post("/hours/", form(programme))
    assert "Accept the terms" in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_a_participant_edits_a_waiting_entry(programme, participant, as_user):
    entry = log(participant, programme)
    client = as_user(participant)
    response = client.post(
        f"/hours/{entry.pk}/edit/",
        {"date": today().isoformat(), "minutes": 45, "activity": "meetings", "note": "Sync"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.minutes == 45 and entry.activity == "meetings"
    assert actions_of(entry) == ["feedback.time.logged", "feedback.time.updated"]


def test_confirmed_hours_can_no_longer_be_edited(programme, participant, reviewer, as_user):
    entry = log(participant, programme)
    as_user(reviewer).post("/hours/queue/review/", {"entries": [entry.pk], "decision": "confirm"})
    entry.refresh_from_db()
    assert entry.status == TimeEntry.Status.CONFIRMED
    client = as_user(participant)
    response = client.post(
        f"/hours/{entry.pk}/edit/",
        {"date": today().isoformat(), "minutes": 600, "activity": "testing"},
        follow=True,
    )
    assert "can no longer be changed" in response.content.decode()
    entry.refresh_from_db()
    assert entry.minutes == 60
    with pytest.raises(DomainError, match="can no longer be changed"):
        services.time_entry_update(
            actor=participant, entry=entry, date=today(), minutes=600, activity="testing"
        )
    # Nor can staff move it back.
    with pytest.raises(DomainError):
        services.time_entry_dispute(actor=reviewer, entry=entry, reason="Too much")


def test_a_dispute_needs_a_reason_that_the_participant_sees(
    programme, participant, reviewer, as_user
):
    entry = log(participant, programme)
    client = as_user(reviewer)
    response = client.post(
        "/hours/queue/review/",
        {"entries": [entry.pk], "decision": "dispute", "reason": ""},
        follow=True,
    )
    assert "A dispute needs a reason" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == TimeEntry.Status.LOGGED
    client.post(
        "/hours/queue/review/",
        {"entries": [entry.pk], "decision": "dispute", "reason": "No session that day."},
    )
    entry.refresh_from_db()
    assert entry.status == TimeEntry.Status.DISPUTED
    page = as_user(participant).get("/hours/").content.decode()
    assert "No session that day." in page
    assert OutboxMessage.objects.filter(
        recipient=participant, subject__contains="disputed"
    ).exists()
    assert actions_of(entry)[-1] == "feedback.time.disputed"


def test_bulk_confirmation_of_hours(programme, participant, participant2, reviewer, as_user):
    entries = [log(participant, programme), log(participant2, programme, minutes=30)]
    response = as_user(reviewer).post(
        "/hours/queue/review/",
        {"entries": [e.pk for e in entries], "decision": "confirm"},
        follow=True,
    )
    assert "2 entries confirmed." in response.content.decode()
    assert TimeEntry.objects.confirmed().count() == 2
    assert AuditEvent.objects.filter(action="feedback.time.confirmed").count() == 2
    assert selectors.confirmed_time_entries(programme).count() == 2


def test_a_reviewer_of_another_programme_cannot_confirm_hours(
    programme, participant, other_reviewer, as_user
):
    entry = log(participant, programme)
    client = as_user(other_reviewer)
    assert "Tried" not in client.get("/hours/queue/").content.decode()
    client.post("/hours/queue/review/", {"entries": [entry.pk], "decision": "confirm"})
    entry.refresh_from_db()
    assert entry.status == TimeEntry.Status.LOGGED


def test_nobody_confirms_their_own_hours(programme, reviewer):
    make_participant(programme, user=reviewer)
    entry = log(reviewer, programme)
    with pytest.raises(NotAllowed):
        services.time_entry_confirm(actor=reviewer, entry=entry)


def test_a_participant_never_sees_another_participants_hours(
    programme, participant, participant2, as_user
):
    theirs = log(participant2, programme, note="secret schedule")
    client = as_user(participant)
    assert "secret schedule" not in client.get("/hours/").content.decode()
    assert client.get(f"/hours/{theirs.pk}/edit/").status_code == 404


def test_the_hours_queue_shows_weekly_totals_beside_the_expected_hours(
    programme, participant, reviewer, as_user
):
    log(participant, programme, minutes=120)
    log(participant, programme, minutes=60, day=today() - timedelta(days=today().weekday() and 1))
    page = as_user(reviewer).get("/hours/queue/").content.decode()
    assert "participant@example.com" in page
    assert "3 h" in page or "2 h" in page  # hours as the reader's language writes numbers
    assert "5 h" in page


def test_the_hours_queue_costs_a_fixed_number_of_queries(
    programme, participant, participant2, reviewer, as_user, django_assert_max_num_queries
):
    for person in (participant, participant2):
        for days_ago in range(3):
            log(person, programme, minutes=30, day=today() - timedelta(days=days_ago))
    client = as_user(reviewer)
    with django_assert_max_num_queries(8):
        assert client.get("/hours/queue/").status_code == 200
    for days_ago in range(3, 20):
        log(participant, programme, minutes=30, day=today() - timedelta(days=days_ago))
    with django_assert_max_num_queries(8):
        response = client.get("/hours/queue/")
    assert response.content.decode().count('name="entries"') == 23


def test_my_week_and_month_cost_a_fixed_number_of_queries(
    programme, participant, as_user, django_assert_max_num_queries
):
    for days_ago in range(10):
        log(participant, programme, minutes=30, day=today() - timedelta(days=days_ago))
    client = as_user(participant)
    with django_assert_max_num_queries(6):
        assert client.get("/hours/").status_code == 200


def test_time_can_be_linked_to_ones_own_ticket_only(
    programme, participant, participant2, file_ticket, as_user
):
    mine = file_ticket(participant, programme)
    theirs = file_ticket(participant2, programme)
    client = as_user(participant)
    response = client.post("/hours/", form(programme, ticket=theirs.pk))
    assert response.status_code == 400
    assert not TimeEntry.objects.exists()
    client.post("/hours/", form(programme, ticket=mine.pk))
    assert TimeEntry.objects.get().ticket == mine


def test_the_old_hours_addresses_redirect_permanently_keeping_the_query(client, participant):
    client.force_login(participant)
    response = client.get("/tickets/hours/?week=2026-01-05")
    assert response.status_code == 301
    assert response["Location"] == "/hours/?week=2026-01-05"
    assert client.get("/tickets/hours/7/edit/")["Location"] == "/hours/7/edit/"
    assert client.get("/tickets/hours/queue/?status=logged")["Location"] == (
        "/hours/queue/?status=logged"
    )
    response = client.post("/tickets/hours/queue/review/", {"decision": "confirm"})
    assert response.status_code == 308
    assert response["Location"] == "/hours/queue/review/"
    assert client.post("/tickets/hours/")["Location"] == "/hours/"
