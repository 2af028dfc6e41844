"""Security events about a person's account, in the audit chain and on /audit/mine/.

Log-ins and two-factor changes happen inside allauth, not in a service of ours, so its
signals are the one place to hear them; a burst of failed log-ins is announced by our
account adapter (`core.events.security_event`). Tokens and staff roles are recorded by
their own services (`api.services`, `programs.services`). Every event has the person as
its subject, so they see it on /audit/mine/ and in their data download.
"""

from allauth.account.signals import user_logged_in
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.db import transaction

from core.clientip import client_ip
from core.events import security_event

from .services import record


def _address(request) -> str:
    return client_ip(request) if request is not None else ""


def on_logged_in(sender, request, user, **kwargs):
    with transaction.atomic():
        record(
            action="accounts.login",
            actor=user,
            subject=user,
            data={"address": _address(request)},
        )


def on_authenticator_added(sender, request=None, user=None, authenticator=None, **kwargs):
    with transaction.atomic():
        record(
            action="accounts.two_factor.added",
            actor=user,
            subject=user,
            data={"type": getattr(authenticator, "type", ""), "address": _address(request)},
        )


def on_authenticator_removed(sender, request=None, user=None, authenticator=None, **kwargs):
    with transaction.atomic():
        record(
            action="accounts.two_factor.removed",
            actor=user,
            subject=user,
            data={"type": getattr(authenticator, "type", ""), "address": _address(request)},
        )


def on_security_event(sender, *, user, action: str, data: dict, **kwargs):
    with transaction.atomic():
        record(action=action, subject=user, data=data)


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="audit.login")
    authenticator_added.connect(on_authenticator_added, dispatch_uid="audit.mfa_added")
    authenticator_removed.connect(on_authenticator_removed, dispatch_uid="audit.mfa_removed")
    security_event.connect(on_security_event, dispatch_uid="audit.security_event")
