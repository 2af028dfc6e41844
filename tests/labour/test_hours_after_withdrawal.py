"""Hours worked before a withdrawal can be logged for HOURS_AFTER_WITHDRAWAL_DAYS after it
(issue 33: leaving cost the tester the pay for work already done)."""

from datetime import timedelta

from django.utils import timezone

from labour.models import TimeEntry
from participants.models import Participation
from participants.services import participation_withdraw


def _form(programme, day, minutes=120):
    return {
        "programme": programme.pk,
        "date": day.isoformat(),
        "minutes": minutes,
        "activity": "testing",
        "note": "Last week's tests",
    }


def test_a_tester_who_withdrew_logs_the_hours_worked_before_for_30_days(
    programme, participant, as_user, settings
):
    assert settings.HOURS_AFTER_WITHDRAWAL_DAYS == 30
    participation = Participation.objects.get(user=participant, programme=programme)
    participation_withdraw(actor=participant, participation=participation, reason="Leaving")
    client = as_user(participant)
    today = timezone.localdate()
    page = client.get("/hours/").content.decode()
    assert f'<option value="{programme.pk}"' in page  # still offered for the hours before

    before = today - timedelta(days=3)
    response = client.post("/hours/", _form(programme, before))
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = TimeEntry.objects.get(user=participant)
    assert entry.date == before and entry.minutes == 120 and entry.participation == participation

    # Not for a day after the withdrawal.
    Participation.objects.filter(pk=participation.pk).update(
        status_changed_at=timezone.now() - timedelta(days=2)
    )
    after = client.post("/hours/", _form(programme, today)).content.decode()
    assert "only hours worked up to that day can be logged" in after

    # Not once the 30 days have passed; the programme is no longer offered.
    Participation.objects.filter(pk=participation.pk).update(
        status_changed_at=timezone.now() - timedelta(days=31)
    )
    page = client.get("/hours/").content.decode()
    assert f'<option value="{programme.pk}"' not in page
    import pytest

    from core.errors import NotAllowed
    from labour import services

    with pytest.raises(NotAllowed, match="could be logged until"):
        services.time_entry_log(
            actor=participant,
            programme=programme,
            date=today - timedelta(days=35),
            minutes=60,
            activity="testing",
        )
    assert TimeEntry.objects.filter(user=participant).count() == 1


def test_the_window_is_a_setting(programme, participant, settings):
    import pytest

    from core.errors import NotAllowed
    from labour import services

    settings.HOURS_AFTER_WITHDRAWAL_DAYS = 0
    participation = Participation.objects.get(user=participant, programme=programme)
    participation_withdraw(actor=participant, participation=participation, reason="Leaving")
    with pytest.raises(NotAllowed):
        services.time_entry_log(
            actor=participant,
            programme=programme,
            date=timezone.localdate() - timedelta(days=1),
            minutes=60,
            activity="testing",
        )
