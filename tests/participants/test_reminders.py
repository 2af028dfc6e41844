"""Reminders, run by beat through the periodic runner: terms not accepted N days after they
took effect (once per version), invitations about to expire (once per expiry). A second
run sends nothing; the person sees the reminder in their notifications."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxMessage
from core.tasks import run_periodic
from participants import services, tasks
from participants.models import Invitation, Participation
from programs.models import TermsVersion
from tests.factories import TermsFactory, make_participant

pytestmark = pytest.mark.django_db


def _consent_reminders(user):
    return OutboxMessage.objects.filter(recipient=user, dedupe_key__startswith="consent-reminder:")


def test_a_participant_who_has_not_accepted_the_terms_is_reminded_once_after_n_days(
    client, programme, participant, participant2
):
    v2 = TermsFactory(
        programme=programme,
        number=2,
        material_change=True,
        effective_at=timezone.now() - timedelta(days=settings.CONSENT_REMINDER_DAYS, hours=1),
    )
    services.consent_accept(  # participant accepted; participant2 did not
        actor=participant, programme=programme, terms=v2, seen_hash=v2.content_hash
    )

    first = tasks.send_reminders()
    second = tasks.send_reminders()
    assert first["consent"] == 1 and second["consent"] == 0
    assert not _consent_reminders(participant).exists()
    reminder = _consent_reminders(participant2).get()
    assert reminder.subject == "Reminder: accept the terms of Alpha"
    assert reminder.url == reverse("participants:consent", args=[programme.slug])

    client.force_login(participant2)
    assert (
        "Reminder: accept the terms of Alpha"
        in client.get(reverse("my_notifications")).content.decode()
    )

    # A newer version needing consent is reminded of in its turn.
    TermsFactory(
        programme=programme,
        number=3,
        material_change=True,
        effective_at=timezone.now() - timedelta(days=settings.CONSENT_REMINDER_DAYS, hours=1),
    )
    assert tasks.send_reminders()["consent"] == 2  # both participants, once each
    assert _consent_reminders(participant2).count() == 2


def test_no_consent_reminder_before_n_days_or_for_a_participant_who_left(
    programme, participant, participant2
):
    v2 = TermsFactory(programme=programme, number=2, material_change=True)  # in force a day
    assert tasks.send_reminders()["consent"] == 0
    left = make_participant(programme, email="left@example.com", consent=False)
    services.participation_withdraw(
        actor=left, participation=Participation.objects.get(user=left, programme=programme)
    )
    v2.effective_at = timezone.now() - timedelta(days=10)
    TermsVersion.objects.filter(pk=v2.pk).update(effective_at=v2.effective_at)
    assert tasks.send_reminders()["consent"] == 2  # participant and participant2
    assert not _consent_reminders(left).exists()


def test_an_invitation_is_reminded_once_48_hours_before_it_expires(
    client, programme, manager, user_factory
):
    invitation = services.invitations_create(
        actor=manager, programme=programme, emails=["pat@example.com"], days_valid=7
    )[0]
    pat = user_factory(email="pat@example.com")
    assert tasks.send_reminders()["invitation"] == 0  # a week left
    Invitation.objects.filter(pk=invitation.pk).update(  # mailed 6 days ago, 47 h left
        last_sent_at=timezone.now() - timedelta(days=6),
        expires_at=timezone.now() + timedelta(hours=47),
    )
    assert tasks.send_reminders()["invitation"] == 1
    assert tasks.send_reminders()["invitation"] == 0
    reminder = OutboxMessage.objects.get(dedupe_key__startswith="invitation-expiring:")
    assert reminder.to_email == "pat@example.com" and reminder.recipient == pat
    assert "expires on" in reminder.body
    client.force_login(pat)
    assert (
        "Your invitation to Alpha expires soon"
        in client.get(reverse("my_notifications")).content.decode()
    )

    # Extended, it may be reminded again before its new expiry, once.
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + timedelta(hours=40)
    )
    assert tasks.send_reminders()["invitation"] == 1
    assert tasks.send_reminders()["invitation"] == 0


def test_no_reminder_for_an_invitation_mailed_inside_the_window_or_no_longer_pending(
    programme, manager
):
    fresh = services.invitations_create(
        actor=manager, programme=programme, emails=["new@example.com"], days_valid=1
    )[0]
    old = services.invitations_create(
        actor=manager, programme=programme, emails=["gone@example.com"], days_valid=1
    )[0]
    Invitation.objects.filter(pk=old.pk).update(last_sent_at=timezone.now() - timedelta(days=5))
    services.invitation_revoke(actor=manager, invitation=old)
    assert tasks.send_reminders()["invitation"] == 0
    assert fresh.expires_at > timezone.now()


def test_beat_runs_the_reminders_through_the_periodic_lock(programme, participant2):
    entry = settings.CELERY_BEAT_SCHEDULE["participants-reminders"]
    assert entry["task"] == "core.tasks.run_periodic"
    assert entry["args"][0] == "participants.tasks.send_reminders"
    TermsFactory(
        programme=programme,
        number=2,
        material_change=True,
        effective_at=timezone.now() - timedelta(days=10),
    )
    cache.clear()
    assert run_periodic("participants.tasks.send_reminders", 3600).startswith("ran")
    assert run_periodic("participants.tasks.send_reminders", 3600).startswith("skipped")
    assert _consent_reminders(participant2).count() == 1


def test_the_consent_reminder_reaches_each_tester_in_their_language(programme, participant2):
    from core.models import PersonSettings

    PersonSettings.objects.create(user=participant2, language="ja")
    TermsFactory(
        programme=programme,
        number=2,
        material_change=True,
        effective_at=timezone.now() - timedelta(days=settings.CONSENT_REMINDER_DAYS, hours=1),
    )
    tasks.send_reminders()
    mail = _consent_reminders(participant2).get()
    assert mail.subject == "リマインダー：Alpha の規約に同意してください"
    assert "まだ同意していません" in mail.body
