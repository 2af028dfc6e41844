"""Shared records: the notification outbox, create forms used once, email changes."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .restricted import RestrictedQuerySet, Visibility


class OutboxMessage(models.Model):
    """A notification to one person, written in the same transaction as the change it reports.

    A Celery task sends it and marks it sent; beat retries what is still pending.
    `dedupe_key` makes the same notification impossible to queue twice, and the
    row lock in the sending task makes it impossible to send twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed (gave up)")

    MAX_ATTEMPTS = 8

    dedupe_key = models.CharField(max_length=200, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    # The id of the programme it is about (programs.Programme), without a foreign key:
    # core's records point at no app. `notify(programme=...)` fills it in.
    programme_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    visibility = Visibility(owner="recipient")  # "my notifications"; nobody else's

    class Meta:
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["recipient", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.subject} → {self.to_email} ({self.status})"


class FormSubmission(models.Model):
    """One create form, as rendered once: its token was used to create one record.

    Every create form carries a fresh token (`core.forms.SubmitOnce`). The first post
    with it writes this row in the same transaction as the record it creates; a second
    post of the same render (a double click, a retried request, twenty at once) finds the
    row and is sent to what the first one created. The unique constraint is the lock: on
    PostgreSQL a second insert waits for the first transaction and then fails.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    result_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="core_formsubmission_once")
        ]

    def __str__(self):
        return f"form {self.token} → {self.result_url}"


class ComponentStatus(models.Model):
    """What a background part of the product last said about itself (core.status).

    Beat writes its tick (`beat`), each periodic task its last run (`periodic:<task>`), the
    audit checkpoint its last attempt (`audit.checkpoint`). Health checks, metrics and the
    incident check read these rows, on any machine, one cheap read each; they survive a
    restart of any process and of Redis (whose cache holds nothing that must not be lost).
    """

    name = models.CharField(max_length=200, primary_key=True)
    ok = models.BooleanField(default=True)
    problem = models.CharField(max_length=2000, blank=True)
    reported_at = models.DateTimeField()
    last_success_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    interval_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "component statuses"

    def __str__(self):
        return f"{self.name}: {'ok' if self.ok else self.problem}"


class EmailChange(models.Model):
    """An email address added to an account, or made its primary one, recently.

    Security mail (two-factor set-up codes, password resets) is not sent to an address for
    `core.accounts.HOLD` after it was added or made primary: it goes to the address that
    was primary before, so whoever took a session with a stolen password cannot route the
    account's recovery to themselves. A change of the primary address can be undone from
    the link mailed to the old address (`undo_token_hash`) for `core.accounts.UNDO`.
    """

    class Kind(models.TextChoices):
        ADDED = "added", _("Address added")
        PRIMARY = "primary", _("Primary address changed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    old_email = models.CharField(max_length=254, blank=True)
    new_email = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    undo_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"{self.user_id}: {self.get_kind_display()} {self.old_email} → {self.new_email}"


class PersonSettings(models.Model):
    """A person's own settings that follow them from device to device: the language of the
    interface (`core.middleware.LanguageMiddleware` prefers it to the browser's) and the time
    zone times are shown in (`core.middleware.TimeZoneMiddleware`; blank: the browser's)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person_settings"
    )
    language = models.CharField(max_length=10, blank=True, choices=settings.LANGUAGES)
    # An IANA name (Europe/Paris), checked by `core.services.time_zone_set`.
    time_zone = models.CharField(
        max_length=64,
        blank=True,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "person settings"

    def __str__(self):
        return f"{self.user_id}: {self.language or 'browser language'}"
