"""Membership: joining a programme (through an invitation or an accepted application),
withdrawing, being removed, and every status change of a participation.

Records, ledger and pending reviews are kept whatever the status; deadlines keep running.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.services import record
from core.errors import DomainError, NotAllowed
from core.languages import language_of
from core.services import notify
from programs import policy
from programs.models import Programme

from ..models import Invitation, Participation


def _join(*, user, programme: Programme, actor, via: Invitation | None = None) -> Participation:
    existing = (
        Participation.objects.select_for_update().filter(user=user, programme=programme).first()
    )
    if existing is not None:
        if existing.status in Participation.ENDED:
            raise DomainError(
                f"You have {existing.get_status_display().lower()} from this programme before; "
                "ask its managers to re-admit you.",
                code="ended",
            )
        return existing
    participation = Participation.objects.create(
        user=user,
        programme=programme,
        via_invitation=via,
        status=Participation.Status.ACTIVE,
        status_changed_at=timezone.now(),
    )
    record(
        action="participants.participation.joined",
        obj=participation,
        actor=actor,
        programme=programme,
        subject=user,
        data={"via": "invitation" if via else "application"},
    )
    return participation


@transaction.atomic
def participation_withdraw(
    *, actor, participation: Participation, reason: str = ""
) -> Participation:
    """Leave a programme. Records, ledger and pending reviews are kept; deadlines keep running."""
    participation = Participation.objects.select_for_update().get(pk=participation.pk)
    if participation.user_id != actor.pk:
        raise NotAllowed("Only the participant can withdraw themselves.")
    return _set_status(
        participation=participation,
        status=Participation.Status.WITHDRAWN,
        reason=reason.strip() or "Withdrew.",
        actor=actor,
    )


@transaction.atomic
def participation_remove(*, actor, participation: Participation, reason: str) -> Participation:
    participation = Participation.objects.select_for_update().get(pk=participation.pk)
    policy.require(actor, "manage", participation)
    if not reason.strip():
        raise DomainError("Removing a participant needs a reason they will read.", field="reason")
    return _set_status(
        participation=participation,
        status=Participation.Status.REMOVED,
        reason=reason.strip(),
        actor=actor,
    )


def _set_status(*, participation: Participation, status: str, reason: str, actor) -> Participation:
    old = participation.status
    if status not in Participation.TRANSITIONS[old]:
        raise DomainError(
            f"A participation that is {participation.get_status_display().lower()} cannot become "
            f"{Participation.Status(status).label.lower()}."
        )
    participation.status = status
    participation.status_reason = reason
    participation.status_changed_at = timezone.now()
    participation.save(update_fields=["status", "status_reason", "status_changed_at"])
    record(
        action="participants.participation.status_changed",
        obj=participation,
        actor=actor,
        programme=participation.programme,
        subject=participation.user,
        data={"from": old, "to": status, "reason": reason},
    )
    if actor is None or actor.pk != participation.user_id:
        with translation.override(language_of(participation.user, participation.programme)):
            subject = gettext("Your participation in %(name)s is now %(status)s") % {
                "name": participation.programme.name,
                "status": participation.get_status_display().lower(),
            }
            body = gettext("Reason: %(reason)s") % {"reason": reason}
        notify(
            user=participation.user,
            subject=subject,
            body=body,
            url=reverse("portal:home"),
            dedupe_key=f"participation-status:{participation.pk}:{status}:{participation.status_changed_at.timestamp()}",
            programme=participation.programme,
        )
    return participation
