"""The labour log: the testers' hours, counted.

A `TimeEntry` is one stretch of work the tester logged; staff confirm or
dispute it, and confirmed hours are what pay and transparency figures count.

Every change goes through `labour.services`; reads that several pages need
live in `labour.selectors`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.db import bounded_text
from programs.policy import RestrictedQuerySet, Visibility


class TimeEntryQuerySet(RestrictedQuerySet):
    def confirmed(self):
        return self.filter(status=TimeEntry.Status.CONFIRMED)


class TimeEntry(models.Model):
    """One stretch of work a tester logged: what, when, how long. Confirmed hours are counted."""

    class Activity(models.TextChoices):
        TESTING = "testing", _("Testing")
        WRITING_FEEDBACK = "writing_feedback", _("Writing feedback")
        RED_TEAMING = "red_teaming", _("Red teaming")
        CREATIVE_WORK = "creative_work", _("Creative work")
        MEETINGS = "meetings", _("Meetings")

    class Status(models.TextChoices):
        LOGGED = "logged", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        DISPUTED = "disputed", _("Disputed")

    STATUS_TONES = {"confirmed": "ok", "disputed": "bad", "logged": "warn"}
    # Allowed transitions; staff may still confirm a disputed entry once it is settled.
    TRANSITIONS = {
        Status.LOGGED: {Status.CONFIRMED, Status.DISPUTED},
        Status.DISPUTED: {Status.CONFIRMED},
        Status.CONFIRMED: set(),
    }
    # A disputed entry is not a dead end: its author corrects it and answers the dispute,
    # and it waits for confirmation again (`time_entry_update`).
    EDITABLE = (Status.LOGGED, Status.DISPUTED)
    MAX_MINUTES_PER_DAY = 24 * 60

    # What an audit event binds (audit.binding): the work logged, not its review.
    AUDIT_BOUND_FIELDS = (
        "participation",
        "user",
        "programme",
        "terms_version",
        "date",
        "minutes",
        "activity",
        "note",
    )

    participation = models.ForeignKey(
        "participants.Participation", on_delete=models.PROTECT, related_name="time_entries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries"
    )
    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="time_entries"
    )
    terms_version = models.ForeignKey(
        "programs.TermsVersion",
        on_delete=models.PROTECT,
        related_name="time_entries",
        help_text="The terms in force when the time was logged.",
    )
    date = models.DateField()
    minutes = models.PositiveSmallIntegerField()
    activity = models.CharField(max_length=20, choices=Activity.choices)
    note = bounded_text(2000, blank=True)
    ticket = models.ForeignKey(
        "feedback.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_entries",
    )
    output = models.ForeignKey(
        "approvals.OutputSubmission",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_entries",
    )

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LOGGED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = bounded_text(2000, blank=True)
    dispute_answer = bounded_text(2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    pay_checked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the hourly accrual took this confirmed entry into account (it accrued "
        "it, or the terms of its day pay nothing by the hour). Confirmed is final, so once is "
        "enough; the accrual's next run reads only the entries without it.",
    )

    objects = TimeEntryQuerySet.as_manager()
    # Own entries for a participant; every entry of their programmes for all staff (finance
    # pays from them); reviewers and managers confirm or dispute, never their own.
    visibility = Visibility(
        programme="programme_id", owner="user", staff="staff", actions={"confirm": "review"}
    )

    class Meta:
        # The table kept its name when the model moved here from `feedback`.
        db_table = "feedback_timeentry"
        verbose_name_plural = "time entries"
        indexes = [
            models.Index(fields=["user", "date"]),
            models.Index(fields=["programme", "status", "created_at"]),
            models.Index(fields=["programme", "date"]),
            # What the hourly accrual still has to read: empty once it has run.
            models.Index(
                fields=["id"],
                condition=Q(status="confirmed", pay_checked_at__isnull=True),
                name="labour_to_accrue_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=1440), name="time_entry_minutes_range"
            ),
            models.CheckConstraint(
                condition=~Q(status="disputed") | ~Q(dispute_reason=""),
                name="time_entry_dispute_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.user} {self.date} {self.minutes} min"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def hours(self):
        return round(self.minutes / 60, 2)
