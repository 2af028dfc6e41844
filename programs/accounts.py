"""Email addresses are an authentication factor: allauth's email page, guarded.

A reviewer signed in by someone who stole the password used to be able to add that
person's address, confirm it, make it primary and have the two-factor set-up code mailed
there. Now:

- a person with a staff role (or a superuser) and no authenticator cannot add, remove or
  change the primary address: the page says why, nothing changes, and the owner is mailed
  at the trusted address (`core.accounts`);
- changing the primary address needs the second factor again when the person has one
  (allauth's two-factor reauthentication, within its timeout), then mails the old address
  with a link that undoes the change for `core.accounts.UNDO`; for `core.accounts.HOLD` the
  new address receives no security mail;
- every change (added, removed, confirmed, made primary, undone, refused) is an audit event
  with the person as its subject, so they read it on /audit/mine/.

allauth makes the changes (its page, its signals); this module decides whether it may,
and records and reports what it did. The policy's answer to "staff without two-factor"
is the same one the rest of the product asks (`programs.policy`).
"""

import time

from allauth.account import app_settings as allauth_account_settings
from allauth.account import signals as account_signals
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.internal.flows.reauthentication import suspend_request
from allauth.account.models import EmailAddress
from allauth.account.views import email as allauth_email
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from audit.services import record
from core import accounts
from core.clientip import client_ip
from core.errors import DomainError
from core.forms import refusal_shown_on
from core.models import EmailChange
from core.services import notify

from . import policy

# allauth's buttons on /accounts/email/ that change addresses ("action_send" only re-sends
# a verification mail).
CHANGES = {"action_add": "add", "action_remove": "remove", "action_primary": "primary"}
WHAT = {
    "add": "add the email address",
    "remove": "remove the email address",
    "primary": "make this the primary email address:",
}


def refusal(user) -> str | None:
    """Why this person may not change their email addresses now, or None."""
    if policy.has_staff_reach(user) and not policy.has_two_factor(user):
        return (
            "Your account holds a staff role, so its email addresses change only once "
            "two-factor authentication is set up: add an authenticator app first "
            "(Account → Two-factor authentication). Nothing was changed, and we told the "
            "account's own address."
        )
    return None


def _second_factor_is_fresh(request) -> bool:
    """Did this session pass allauth's two-factor reauthentication within its timeout?"""
    limit = allauth_account_settings.REAUTHENTICATION_TIMEOUT
    return any(
        r.get("method") == "mfa" and r.get("reauthenticated") and time.time() - r["at"] < limit
        for r in get_authentication_records(request, request.user)
    )


def _address(request) -> str:
    return client_ip(request) if request is not None else ""


@login_required
def email(request):
    """allauth's email page, after the checks above."""
    user = request.user
    change = next((name for key, name in CHANGES.items() if key in request.POST), None)
    if request.method == "POST" and change is not None:
        why = refusal(user)
        if why:
            _refuse(request, change, why)
            return render(request, "403.html", {"reason": why}, status=403)
        if (
            change == "primary"
            and policy.has_two_factor(user)
            and not _second_factor_is_fresh(request)
        ):
            # allauth keeps the post, asks for the authenticator's code, then replays it.
            return suspend_request(request, reverse("mfa_reauthenticate"))
    return allauth_email(request)


@transaction.atomic
def _refuse(request, change: str, why: str) -> None:
    user = request.user
    wanted = (request.POST.get("email") or "").strip()[:254]
    record(
        action=f"accounts.email.{change}_refused",
        subject=user,
        data={"email": wanted, "reason": "staff without two-factor", "address": _address(request)},
    )
    notify(
        user=user,
        email=accounts.trusted_address(user),
        subject="Someone tried to change the email addresses of your account",
        body=(
            f"Someone signed in to your Terms & Testers account tried to {WHAT[change]} "
            f"{wanted or '(none given)'} from {_address(request) or 'an unknown address'}. "
            f"It was refused: {why}\n\nIf it was not you, your password is known to someone "
            "else: change it now and tell your programme's managers."
        ),
        dedupe_key=f"email-refused:{user.pk}:{time.time_ns()}",
    )


# --- allauth's signals: record and report every change -------------------------------------


def on_email_added(sender, request=None, user=None, email_address=None, **kwargs):
    with transaction.atomic():
        accounts.note_added(user, email_address.email)
        record(
            action="accounts.email.added",
            actor=user,
            subject=user,
            data={"email": email_address.email, "address": _address(request)},
        )
        notify(
            user=user,
            email=accounts.trusted_address(user),
            subject="An email address was added to your account",
            body=(
                f"{email_address.email} was added to your Terms & Testers account. For 24 hours "
                "it receives no password resets or security codes; they come here. If it was "
                "not you, change your password now."
            ),
            dedupe_key=f"email-added:{user.pk}:{time.time_ns()}",
        )


def on_email_removed(sender, request=None, user=None, email_address=None, **kwargs):
    with transaction.atomic():
        record(
            action="accounts.email.removed",
            actor=user,
            subject=user,
            data={"email": email_address.email, "address": _address(request)},
        )
        notify(
            user=user,
            email=accounts.trusted_address(user),
            subject="An email address was removed from your account",
            body=(
                f"{email_address.email} was removed from your Terms & Testers account. If it "
                "was not you, change your password now."
            ),
            dedupe_key=f"email-removed:{user.pk}:{time.time_ns()}",
        )


def on_email_confirmed(sender, request=None, email_address=None, **kwargs):
    user = email_address.user
    with transaction.atomic():
        record(
            action="accounts.email.confirmed",
            actor=user,
            subject=user,
            data={"email": email_address.email, "address": _address(request)},
        )


def on_email_changed(
    sender, request=None, user=None, from_email_address=None, to_email_address=None, **kwargs
):
    """The primary address changed: record it, and mail the old one a way back."""
    old = from_email_address.email if from_email_address is not None else ""
    new = to_email_address.email
    with transaction.atomic():
        change, token = accounts.note_primary(user, old, new)
        record(
            action="accounts.email.primary_changed",
            actor=user,
            subject=user,
            data={"email": new, "previous": old, "address": _address(request)},
        )
        if not old:
            return
        notify(
            user=user,
            email=old,
            subject="The primary email address of your account changed",
            body=(
                f"The primary email address of your Terms & Testers account changed from {old} "
                f"to {new} (from {_address(request) or 'an unknown address'}).\n\n"
                "If it was you, there is nothing to do. For 24 hours password resets and "
                "security codes still come to this address.\n\n"
                "If it was not you, open the link below within 7 days: it makes this address "
                "the primary one again, removes the new one and signs everyone out."
            ),
            url=reverse("account_email_undo", args=[token]),
            dedupe_key=f"email-primary:{change.pk}",
        )


def connect() -> None:
    account_signals.email_added.connect(on_email_added, dispatch_uid="programs.email_added")
    account_signals.email_removed.connect(on_email_removed, dispatch_uid="programs.email_removed")
    account_signals.email_confirmed.connect(
        on_email_confirmed, dispatch_uid="programs.email_confirmed"
    )
    account_signals.email_changed.connect(on_email_changed, dispatch_uid="programs.email_changed")


# --- Undoing a change of the primary address -----------------------------------------------


@transaction.atomic
def email_change_undo(*, token: str, request=None) -> EmailChange:
    """Make the old address primary again, remove the new one and sign out every session
    (the password is made unusable: whoever changed the address knew it; the owner sets a
    new one from a reset link, which comes to the restored address)."""
    change = accounts.change_by_token(token)
    if change is None:
        raise DomainError(
            "This link is not valid: it was used already, or it is more than 7 days old."
        )
    change = EmailChange.objects.select_for_update().get(pk=change.pk)
    user = change.user
    restored, _ = EmailAddress.objects.get_or_create(
        user=user, email=change.old_email, defaults={"verified": True}
    )
    if not restored.verified:
        restored.verified = True
        restored.save(update_fields=["verified"])
    restored.set_as_primary()
    EmailAddress.objects.filter(user=user, email__iexact=change.new_email).delete()
    now = timezone.now()
    EmailChange.objects.filter(
        user=user, new_email__iexact=change.new_email, undone_at__isnull=True
    ).update(undone_at=now)
    user.refresh_from_db()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    actor = request.user if request is not None and request.user.pk == user.pk else None
    record(
        action="accounts.email.change_undone",
        actor=actor,
        subject=user,
        data={"email": change.old_email, "removed": change.new_email, "address": _address(request)},
    )
    notify(
        user=user,
        email=change.old_email,
        subject="Your primary email address is restored",
        body=(
            f"{change.old_email} is the primary address of your Terms & Testers account again; "
            f"{change.new_email} was removed and every session signed out. Set a new password "
            "with “Forgot your password?”: the link comes to this address."
        ),
        url=reverse("account_reset_password"),
        dedupe_key=f"email-undone:{change.pk}",
    )
    return change


def email_undo(request, token):
    """The link in the mail to the old address: what changed, and a button to undo it."""
    change = accounts.change_by_token(token)
    if request.method == "POST" and change is not None:
        with refusal_shown_on(request) as refused:
            email_change_undo(token=token, request=request)
        if not refused.error:
            messages.success(
                request,
                f"{change.old_email} is your primary address again and {change.new_email} was "
                "removed; every session is signed out. Ask for a password reset link: it "
                f"comes to {change.old_email}.",
            )
            return redirect("account_reset_password")
    return render(
        request,
        "programs/accounts/email_undo.html",
        {"change": change},
        status=200 if change is not None else 404,
    )
