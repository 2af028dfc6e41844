"""Applications: a person asks to join an open programme; a manager accepts (the person
joins) or rejects with a reason the applicant reads."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.services import record
from core.errors import DomainError
from core.languages import language_of
from core.services import notify
from programs import policy
from programs.models import Programme

from ..models import Application, Participation
from .participation import _join


@transaction.atomic
def application_submit(
    *, actor, programme: Programme, motivation: str, portfolio_url: str = ""
) -> Application:
    if programme.status != Programme.Status.OPEN:
        raise DomainError("This programme is not taking applications.", code="closed")
    if Participation.objects.filter(user=actor, programme=programme).exists():
        raise DomainError("You are already in this programme.")
    if Application.objects.filter(
        user=actor, programme=programme, status=Application.Status.PENDING
    ).exists():
        raise DomainError("You have already applied; your application is waiting for a decision.")
    if not motivation.strip():
        raise DomainError("Say briefly why you want to take part.", field="motivation")
    application = Application.objects.create(
        user=actor, programme=programme, motivation=motivation.strip(), portfolio_url=portfolio_url
    )
    record(
        action="participants.application.submitted",
        obj=application,
        actor=actor,
        programme=programme,
        subject=actor,
    )
    return application


@transaction.atomic
def application_decide(
    *, actor, application: Application, accept: bool, reason: str
) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    policy.require(actor, "manage", application)
    if application.status != Application.Status.PENDING:
        raise DomainError("This application was already decided.")
    reason = reason.strip()
    if not accept and not reason:
        raise DomainError("A rejection needs a reason the applicant will read.", field="reason")
    application.status = Application.Status.ACCEPTED if accept else Application.Status.REJECTED
    application.decision_reason = reason
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    if accept:
        _join(user=application.user, programme=application.programme, actor=actor)
    record(
        action="participants.application.decided",
        obj=application,
        actor=actor,
        programme=application.programme,
        subject=application.user,
        data={"outcome": application.status, "reason": reason},
    )
    with translation.override(language_of(application.user, application.programme)):
        name = application.programme.name
        subject = (
            gettext("Your application to %(name)s was accepted")
            if application.status == Application.Status.ACCEPTED
            else gettext("Your application to %(name)s was rejected")
        ) % {"name": name}
        body = reason or gettext("Welcome! Read and accept the terms in your portal to start.")
    notify(
        user=application.user,
        subject=subject,
        body=body,
        url=reverse("portal:home"),
        dedupe_key=f"application-decided:{application.pk}",
        programme=application.programme,
    )
    return application
