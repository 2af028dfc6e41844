"""Reminders (beat): whoever must act and has not is reminded once: a participant who has
not accepted the terms in force, an invitee whose invitation expires soon."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.languages import chosen_languages, language_of
from core.models import OutboxMessage
from core.services import notify

from ..models import Invitation, Participation
from ..selectors import consent_pending


def _not_yet_sent(keys: list[str]) -> set[str]:
    sent = set(
        OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    return {k for k in keys if k not in sent}


def _remind_consent(now, limit: int) -> int:
    """Active participants who have not accepted the terms in force `CONSENT_REMINDER_DAYS`
    after that version took effect (and after they joined): once per terms version."""
    due = now - timedelta(days=settings.CONSENT_REMINDER_DAYS)
    pending = list(
        consent_pending(
            Participation.objects.filter(status=Participation.Status.ACTIVE, joined_at__lte=due),
            now,
        )
        .filter(required_since__lte=due)
        .select_related("user", "programme")
        .order_by("pk")[:limit]
    )
    keys = {p.pk: f"consent-reminder:{p.required_id}:{p.pk}" for p in pending}
    fresh = _not_yet_sent(list(keys.values()))
    sent = 0
    chosen = chosen_languages([p.user for p in pending if keys[p.pk] in fresh])
    for p in pending:
        if keys[p.pk] not in fresh:
            continue
        programme = p.programme
        with translation.override(chosen.get(p.user_id) or language_of(programme=programme)):
            subject = gettext("Reminder: accept the terms of %(name)s") % {"name": programme.name}
            body = gettext(
                "Version %(number)s of the terms of %(name)s has been in force since %(day)s, "
                "and you have not accepted it yet. Until you do, you cannot log hours, file "
                "tickets or submit outputs there. Read the key facts and what changed, then "
                "accept them or withdraw."
            ) % {
                "number": p.required_number,
                "name": programme.name,
                "day": f"{p.required_since:%d %b %Y}",
            }
        notify(
            user=p.user,
            subject=subject,
            body=body,
            url=reverse("participants:consent", args=[programme.slug]),
            dedupe_key=keys[p.pk],
            programme=programme,
        )
        sent += 1
    return sent


def _remind_invitations(now, limit: int) -> int:
    """Invitees whose pending invitation expires within `INVITATION_REMINDER_HOURS`, when
    the last mail of it went out before that window began: once per expiry."""
    window = timedelta(hours=settings.INVITATION_REMINDER_HOURS)
    expiring = list(
        Invitation.objects.filter(
            status=Invitation.Status.PENDING, expires_at__gt=now, expires_at__lte=now + window
        )
        .select_related("programme")
        .order_by("expires_at")[:limit]
    )
    expiring = [i for i in expiring if (i.last_sent_at or i.created_at) < i.expires_at - window]
    keys = {i.pk: f"invitation-expiring:{i.pk}:{int(i.expires_at.timestamp())}" for i in expiring}
    fresh = _not_yet_sent(list(keys.values()))
    accounts = {
        u.email.lower(): u
        for u in get_user_model().objects.filter(
            email__in=[i.email for i in expiring if keys[i.pk] in fresh]
        )
    }
    sent = 0
    for invitation in expiring:
        if keys[invitation.pk] not in fresh:
            continue
        programme = invitation.programme
        mailed = invitation.last_sent_at or invitation.created_at
        notify(
            user=accounts.get(invitation.email.lower()),
            email=invitation.email,
            subject=f"Your invitation to {programme.name} expires soon",
            body=(
                f"Your invitation to the early-access programme {programme.name} "
                f"({programme.product}) expires on {invitation.expires_at:%d %b %Y %H:%M} UTC. "
                f"Open the link in the invitation email of {mailed:%d %b %Y} "
                "to read the terms and accept or decline; after that date, ask the programme's "
                "managers for a new invitation. The programme's terms are public:"
            ),
            url=programme.get_absolute_url(),
            dedupe_key=keys[invitation.pk],
            programme=programme,
        )
        sent += 1
    return sent


def reminders_send(*, now=None, limit: int = 1000) -> dict:
    """Remind, once each, whoever must act and has not:

    - an active participant who has not accepted the terms in force `CONSENT_REMINDER_DAYS`
      after that version took effect (and after they joined): once per terms version;
    - an invitee whose pending invitation expires within `INVITATION_REMINDER_HOURS`, when
      the last mail of it went out before that window began: once per expiry (an extended
      invitation may be reminded again before its new expiry).

    Each reminder is an outbox notification with a key of its own, so a second run, or
    two at once, sends nothing twice; the person sees it in their notifications. Returns
    {"consent": n, "invitation": n} reminders queued by this run.
    """
    now = now or timezone.now()
    return {"consent": _remind_consent(now, limit), "invitation": _remind_invitations(now, limit)}
