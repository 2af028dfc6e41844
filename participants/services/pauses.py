"""Access pauses: a manager pauses new work for the whole programme or one participant,
with a reason they read, and ends the pause. Reading, withdrawing and appealing go on;
review deadlines keep running."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.services import record
from core.errors import DomainError
from core.languages import languages_of
from core.services import notify
from programs import policy
from programs.models import Programme

from ..models import AccessPause, Participation
from ..selectors import active_programme_pause
from .participation import _set_status


def _check_pause_request(*, actor, programme: Programme, participation, reason: str, expected_end):
    """The pause's reason, once the person may pause and the request makes sense."""
    if participation is not None:
        if participation.programme_id != programme.pk:
            raise DomainError("That participant is in another programme.", field="participation")
        policy.require(actor, "manage", participation)
    else:
        policy.require(actor, "manage", programme)
    reason = reason.strip()
    if not reason:
        raise DomainError("A pause needs a reason the participants will read.", field="reason")
    if expected_end and expected_end <= timezone.now():
        raise DomainError("The expected end must be in the future.", field="expected_end")
    return reason


def _paused_people(programme: Programme, participation, now):
    """Who the pause stops (locked where one person is paused): every active participant of
    the programme, or the one participant."""
    if participation is None:
        if active_programme_pause(programme, now):
            raise DomainError("The programme is already paused.")
        return None, list(
            Participation.objects.filter(
                programme=programme, status=Participation.Status.ACTIVE
            ).select_related("user")
        )
    participation = Participation.objects.select_for_update().get(pk=participation.pk)
    if participation.programme_id != programme.pk:
        raise DomainError("That participant is not in this programme.")
    if participation.status != Participation.Status.ACTIVE:
        raise DomainError("Only an active participant can be paused.")
    return participation, [participation]


@transaction.atomic
def pause_start(
    *,
    actor,
    programme: Programme,
    reason: str,
    participation: Participation | None = None,
    expected_end=None,
) -> AccessPause:
    """Pause new work for the whole programme or one participant, with a reason they read."""
    reason = _check_pause_request(
        actor=actor,
        programme=programme,
        participation=participation,
        reason=reason,
        expected_end=expected_end,
    )
    now = timezone.now()
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    participation, affected = _paused_people(programme, participation, now)
    pause = AccessPause.objects.create(
        programme=programme,
        participation=participation,
        reason=reason,
        starts_at=now,
        expected_end=expected_end,
        created_by=actor,
        previous_programme_status=programme.status if participation is None else "",
    )
    if participation is None:
        programme.status = Programme.Status.PAUSED
        programme.save(update_fields=["status"])
    else:
        _set_status(
            participation=participation,
            status=Participation.Status.PAUSED,
            reason=reason,
            actor=actor,
        )
    record(
        action="programs.pause.started",
        obj=pause,
        actor=actor,
        programme=programme,
        subject=participation.user if participation else None,
        data={
            "scope": "participant" if participation else "programme",
            "reason": reason,
            "expected_end": expected_end,
        },
    )
    languages = languages_of([p.user for p in affected], programme)
    for p in affected:
        with translation.override(languages[p.user_id]):
            subject = gettext("Access to %(name)s is paused") % {"name": programme.name}
            body = gettext("Reason: %(reason)s.") % {"reason": reason}
            if expected_end:
                body += " " + gettext("Expected end: %(when)s UTC.") % {
                    "when": f"{expected_end:%d %b %Y %H:%M}"
                }
            body += " " + gettext(
                "You can still read, withdraw and appeal; review deadlines keep running."
            )
        notify(
            user=p.user,
            subject=subject,
            body=body,
            url=reverse("portal:home"),
            dedupe_key=f"pause:{pause.pk}:{p.pk}",
            programme=programme,
        )
    return pause


@transaction.atomic
def pause_end(*, actor, pause: AccessPause) -> AccessPause:
    pause = AccessPause.objects.select_for_update().get(pk=pause.pk)
    policy.require(actor, "manage", pause)
    if pause.ended_at is not None:
        raise DomainError("This pause has already ended.")
    pause.ended_at = timezone.now()
    pause.ended_by = actor
    pause.save(update_fields=["ended_at", "ended_by"])
    programme = pause.programme
    if pause.participation_id is None:
        programme.status = pause.previous_programme_status or Programme.Status.RUNNING
        programme.save(update_fields=["status"])
    else:
        participation = Participation.objects.select_for_update().get(pk=pause.participation_id)
        if participation.status == Participation.Status.PAUSED:
            _set_status(
                participation=participation,
                status=Participation.Status.ACTIVE,
                reason="Pause ended.",
                actor=actor,
            )
    record(
        action="programs.pause.ended",
        obj=pause,
        actor=actor,
        programme=programme,
        subject=pause.participation.user if pause.participation_id else None,
        data={"duration_seconds": int((pause.ended_at - pause.starts_at).total_seconds())},
    )
    return pause
