"""allauth, adapted: our outbox for its emails, the real client address, security mail
kept from addresses that are new (`core.accounts`), and a log-in lock-out that cannot lock
a person out of their own account from anywhere nor tell a guesser anything."""

import uuid
from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import get_next_redirect_url
from allauth.core.internal import ratelimit
from allauth.mfa.base.internal.flows import post_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.stages import AuthenticateStage
from allauth.mfa.totp.internal.auth import TOTP
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache

from .accounts import is_held, trusted_address
from .clientip import client_ip
from .events import security_event
from .services import notify

ACCOUNT_LOCKED = (
    "Too many failed log-ins for this account. If you set up two-factor, enter your "
    "password and the code from your authenticator app together. Otherwise use “Forgot "
    "your password?”: the link we email you lifts the lock."
)
# allauth's mails that let whoever reads them into the account: never to an address that
# is less than a day old on it (they go to the address before it, `core.accounts`).
SECURITY_MAILS = frozenset({"password_reset_key", "password_reset_code", "login_code"})


def _split_rates(action: str) -> tuple[str, str]:
    """`login_failed`'s rates as (per address, per account)."""
    parts = [p.strip() for p in (settings.ACCOUNT_RATE_LIMITS.get(action) or "").split(",")]
    per_key = [p for p in parts if p.endswith("/key")]
    per_address = [p for p in parts if p and not p.endswith("/key")]
    return ",".join(per_address), ",".join(per_key)


class ProductSite:
    """What account emails call "the site": the product's name and the address it serves on."""

    @property
    def name(self) -> str:
        return settings.SITE_NAME

    @property
    def domain(self) -> str:
        return settings.SITE_URL.split("://", 1)[-1]


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        context = {
            "email": email,
            "current_site": ProductSite(),
            "request": getattr(self, "request", None),
            **context,
        }
        message = self.render_mail(template_prefix, email, context)
        kind = template_prefix.rsplit("/", 1)[-1]
        user = context.get("user") or get_user_model().objects.filter(email__iexact=email).first()
        body = message.body
        if user is not None and kind in SECURITY_MAILS and is_held(user, email):
            # A reset asked for an address added less than a day ago goes to the one before.
            held, email = email, trusted_address(user)
            body = (
                f"This was asked for {held}, an address added to your account less than 24 "
                f"hours ago, so it comes to {email} instead. If you did not add {held}, "
                "change your password now.\n\n" + body
            )
        notify(
            user=user,
            email=email,
            subject=message.subject,
            body=body,
            dedupe_key=f"account:{kind}:{uuid.uuid4().hex}",
        )

    def get_login_stages(self) -> list[str]:
        """allauth's stages, its two-factor step replaced by one that knows a code already
        checked with the password of a locked account (`authenticate`)."""
        return [
            "core.adapters.SecondFactorStage"
            if path == "allauth.mfa.stages.AuthenticateStage"
            else path
            for path in super().get_login_stages()
        ]

    def get_email_confirmation_url(self, request, emailconfirmation):
        """The verification link carries the page the person signed up from (`next`, e.g. the
        invitation), so verifying leads back there, in this browser or any other."""
        url = super().get_email_confirmation_url(request, emailconfirmation)
        after = get_next_redirect_url(request) if request is not None else None
        return f"{url}?{urlencode({'next': after})}" if after else url

    def get_client_ip(self, request):
        """The peer's address, or what the operator's own proxies say (core.clientip)."""
        return client_ip(request) or super().get_client_ip(request)

    def pre_authenticate(self, request, **credentials):
        """Count a log-in attempt per address and per account.

        Past the per-address limit the attempt is refused outright. Past the per-account
        limit it is not refused yet: anyone anywhere can push an account past it, so
        `authenticate` lets the owner in with the right password when two-factor stands
        behind it, and refuses everything else with the same answer, right password or
        wrong (no oracle for guessers).
        """
        per_address, per_key = _split_rates("login_failed")
        key = self._get_login_attempts_cache_key(request, **credentials)
        usage = ratelimit.consume(
            request, app="allauth.account", action="login_failed",
            config={"login_failed": per_address}, key=key,
        )  # fmt: skip
        if not usage:
            raise self.validation_error("too_many_login_attempts")
        key_usage = ratelimit.consume(
            request, app="allauth.account", action="login_failed",
            config={"login_failed": per_key}, key=key,
        )  # fmt: skip
        self._account_locked = key_usage is None
        self._login_failed_rl_usage = ratelimit.RateLimitUsage(
            usage=usage.usage + (key_usage.usage if key_usage else [])
        )
        if self._account_locked:
            self._report_burst(request, credentials, key)

    def authenticate(self, request, **credentials):
        """Past the per-account limit every answer is the same, right password or wrong:
        only the password together with a valid code of the account's authenticator app
        (the `code` field of the locked log-in page) lets the owner in, and that code is
        then the two-factor step (`SecondFactorStage`)."""
        user = super().authenticate(request, **credentials)
        if getattr(self, "_account_locked", False):
            if user is None or not self._code_with_password(request, user):
                raise forms.ValidationError(ACCOUNT_LOCKED, code="too_many_login_attempts")
            request.tt_second_factor_passed = user.pk
        return user

    @staticmethod
    def _code_with_password(request, user) -> bool:
        code = (request.POST.get("code") or "").strip() if request is not None else ""
        authenticator = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).first()
        if not code or authenticator is None or not TOTP(authenticator).validate_code(code):
            return False
        post_authentication(request, authenticator)
        return True

    def _report_burst(self, request, credentials, key):
        """One security event per account and window: someone is guessing its password."""
        login = credentials.get("email", credentials.get("username", ""))
        user = get_user_model().objects.filter(email__iexact=login).first()
        if user is None or not cache.add(f"login-burst:{key}", 1, timeout=300):
            return
        security_event.send(
            sender=None,
            user=user,
            action="accounts.login.locked",
            data={"address": self.get_client_ip(request)},
        )


class SecondFactorStage(AuthenticateStage):
    """allauth's two-factor step, skipped when the code was checked with the password in
    this same request (a locked account's log-in, `AccountAdapter.authenticate`)."""

    def _should_handle(self, request) -> bool:
        if getattr(request, "tt_second_factor_passed", None) == getattr(self.login.user, "pk", 0):
            return False
        return super()._should_handle(request)
