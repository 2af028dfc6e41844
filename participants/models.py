"""Testers in programmes: invitations, applications, participations, consents and pauses."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.db import AppendOnlyModel, AppendOnlyQuerySet, bounded_text
from core.text import single_line
from programs.policy import RestrictedQuerySet, Visibility


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Participation(models.Model):
    """One person's membership of one programme as a tester."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REMOVED = "removed", _("Removed")

    # Allowed transitions; each change goes through participants.services.
    TRANSITIONS = {
        Status.ACTIVE: {Status.PAUSED, Status.WITHDRAWN, Status.REMOVED},
        Status.PAUSED: {Status.ACTIVE, Status.WITHDRAWN, Status.REMOVED},
        Status.WITHDRAWN: set(),
        Status.REMOVED: set(),
    }
    ENDED = (Status.WITHDRAWN, Status.REMOVED)

    class Role(models.TextChoices):
        TESTER = "tester", _("Tester")
        CREATIVE = "creative", _("Creative partner")
        RED_TEAMER = "red_teamer", _("Red teamer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="participations"
    )
    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="participations"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.TESTER)
    status_reason = bounded_text(2000, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    via_invitation = models.ForeignKey(
        "Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payout_reference = models.CharField(
        max_length=100,
        blank=True,
        help_text="The payee reference finance pays to.",
        validators=[single_line],
    )

    objects = RestrictedQuerySet.as_manager()
    # A participant sees their own; a programme's staff see all of it; managers pause,
    # resume and remove participants and award them prizes and grants; finance records
    # their tax status (never their own).
    visibility = Visibility(
        programme="programme_id",
        owner="user",
        staff="staff",
        actions={"manage": "manage", "award": "manage", "record_tax": "payouts"},
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "programme"], name="one_participation")
        ]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self):
        return f"{self.user} in {self.programme}"


class InvitationQuerySet(RestrictedQuerySet):
    def restrict(self, user, action: str = "view"):
        """The invitee sees invitations to their address; managers their programmes'."""
        qs = super().restrict(user, action)
        if action == "view" and user is not None and user.is_authenticated:
            return qs | self.filter(email__iexact=user.email)
        return qs


class Invitation(models.Model):
    """An emailed, expiring invitation to join a programme."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")

    MAX_SENDS = 5  # the first mail and four resends
    RESEND_AFTER = timedelta(minutes=10)  # between two mails of one invitation

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField()
    name = models.CharField(max_length=150, blank=True, db_default="", validators=[single_line])
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decline_reason = bounded_text(2000, blank=True)
    expires_at = models.DateTimeField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    # Mails sent for it (the first and each resend), and when the last went out.
    sends = models.PositiveSmallIntegerField(default=1, db_default=1)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()
    visibility = Visibility(programme="programme_id", staff="manage", actions={"manage": "manage"})

    class Meta:
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self):
        return f"Invitation of {self.email} to {self.programme}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, hash_token(token)

    def is_expired(self, at) -> bool:
        return self.expires_at <= at


class Application(models.Model):
    """A request to join an open programme, accepted or rejected by a manager with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="applications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    motivation = bounded_text(5000)
    portfolio_url = models.URLField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decision_reason = bounded_text(2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    # The applicant sees their own; managers decide, never on their own application.
    visibility = Visibility(
        programme="programme_id", owner="user", staff="manage", actions={"manage": "manage"}
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "user"],
                condition=Q(status="pending"),
                name="one_pending_application",
            )
        ]

    def __str__(self):
        return f"Application of {self.user} to {self.programme}"


class ConsentQuerySet(AppendOnlyQuerySet, RestrictedQuerySet):
    """Consents are written once: `.update()` and `.delete()` refuse, as the model does."""


class Consent(AppendOnlyModel):
    """A participant's acceptance of one exact terms version. Never edited or deleted."""

    # What its audit event binds (audit.binding): the whole record (it is never edited).
    AUDIT_BOUND_FIELDS = (
        "participation",
        "terms_version",
        "terms_hash",
        "accepted_at",
        "ip_address",
        "shown_language",
        "shown_hash",
        "translation",
    )
    # Bound only when set: the consents given before they existed keep their events' hashes.
    AUDIT_ADDED_FIELDS = frozenset({"shown_language", "shown_hash", "translation"})

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="consents"
    )
    terms_version = models.ForeignKey(
        "programs.TermsVersion", on_delete=models.PROTECT, related_name="consents"
    )
    terms_hash = models.CharField(max_length=64)
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The published versions not yet in force that were shown beside this one and that the
    # tester acknowledged with this consent: [{"number", "hash", "effective_at"}].
    acknowledged = models.JSONField(default=list, db_default=[], blank=True)
    # The text the consent screen showed: its language and the sha256 of exactly that text
    # (the version's `content_hash` for the binding text, a translation's own `content_hash`
    # else, which names the binding version's too). Empty: given before languages existed.
    shown_language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    shown_hash = models.CharField(max_length=64, blank=True, default="")
    translation = models.ForeignKey(
        "programs.TermsTranslation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consents",
        help_text="The translation shown, if it was not the binding text.",
    )

    objects = ConsentQuerySet.as_manager()
    visibility = Visibility(
        programme="participation__programme_id", owner="participation__user", staff="staff"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "terms_version"], name="one_consent_per_version"
            )
        ]

    def __str__(self):
        return f"{self.participation} accepted v{self.terms_version.number}"


class AccessPause(models.Model):
    """A pause of access, for the whole programme or one participation.

    During a pause no new work is accepted; reading, withdrawing, appeals and
    review deadlines go on.
    """

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="pauses"
    )
    participation = models.ForeignKey(
        Participation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pauses",
        help_text="Empty for a programme-wide pause.",
    )
    reason = bounded_text(2000)
    starts_at = models.DateTimeField()
    expected_end = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    previous_programme_status = models.CharField(max_length=10, blank=True)

    objects = RestrictedQuerySet.as_manager()
    # The paused participant sees their pause; a programme's staff see its pauses; managers
    # start and end them (a manager who also participates does not end their own).
    visibility = Visibility(
        programme="programme_id",
        owner="participation__user",
        staff="staff",
        actions={"manage": "manage"},
    )

    class Meta:
        # The table kept its name when the model moved here from `programs`.
        db_table = "programs_accesspause"
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["programme", "ended_at"])]

    def __str__(self):
        scope = self.participation.user if self.participation_id else "everyone"
        return f"Pause of {self.programme} for {scope}"

    @property
    def is_programme_wide(self):
        return self.participation_id is None

    def is_active(self, at) -> bool:
        return self.starts_at <= at and (self.ended_at is None or self.ended_at > at)
