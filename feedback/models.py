"""Feedback tickets: the testers' findings, counted and answered.

A `Ticket` is a bug, a piece of feedback, a feature request or a safety finding
filed under the terms in force at the time. `TicketComment`s are either for the
reporter or internal to staff; `TicketAttachment`s were checked by content.
The labour log (`TimeEntry`) lives in the `labour` app.

Every change goes through `feedback.services`; reads that several pages need
live in `feedback.selectors`.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.businessdays import add_business_days
from core.db import bounded_text
from core.text import single_line
from programs.downloads import Download
from programs.policy import RestrictedQuerySet, Visibility


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


# Stored beside the severity so the queue can sort (and page by key) by how severe.
SEVERITY_RANK = {"": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class Ticket(models.Model):
    """One report from a tester to the programme, answered through triage."""

    class Kind(models.TextChoices):
        BUG = "bug", _("Bug")
        FEEDBACK = "feedback", _("Feedback")
        FEATURE_REQUEST = "feature_request", _("Feature request")
        SAFETY_FINDING = "safety_finding", _("Safety finding (red teaming)")

    # Kinds that carry a severity (required for them, absent for the others).
    SEVERITY_KINDS = (Kind.BUG, Kind.SAFETY_FINDING)

    class Status(models.TextChoices):
        NEW = "new", _("New")
        NEEDS_INFO = "needs_info", _("Needs more info")
        TRIAGED = "triaged", _("Triaged")
        ACCEPTED = "accepted", pgettext_lazy("ticket", "Accepted")
        DUPLICATE = "duplicate", _("Duplicate")
        NOT_REPRODUCIBLE = "not_reproducible", _("Not reproducible")
        WONT_FIX = "wont_fix", _("Won't fix")
        RESOLVED = "resolved", _("Resolved")

    S = Status
    # How each status reads on a badge (`{% status_badge ticket %}`).
    STATUS_TONES = {
        "accepted": "ok",
        "resolved": "ok",
        "needs_info": "warn",
        "duplicate": "bad",
        "not_reproducible": "bad",
        "wont_fix": "bad",
    }
    # Allowed transitions; each change goes through feedback.services.ticket_set_status.
    TRANSITIONS = {
        S.NEW: {S.NEEDS_INFO, S.TRIAGED, S.ACCEPTED, S.DUPLICATE, S.NOT_REPRODUCIBLE, S.WONT_FIX},
        S.NEEDS_INFO: {
            S.NEW,
            S.TRIAGED,
            S.ACCEPTED,
            S.DUPLICATE,
            S.NOT_REPRODUCIBLE,
            S.WONT_FIX,
        },
        S.TRIAGED: {S.NEEDS_INFO, S.ACCEPTED, S.DUPLICATE, S.NOT_REPRODUCIBLE, S.WONT_FIX},
        S.ACCEPTED: {S.RESOLVED, S.WONT_FIX},
        # Closed tickets can be reopened into triage.
        S.DUPLICATE: {S.TRIAGED},
        S.NOT_REPRODUCIBLE: {S.TRIAGED},
        S.WONT_FIX: {S.TRIAGED},
        S.RESOLVED: {S.TRIAGED},
    }
    # Waiting for the first triage decision (the triage clock runs, except in NEEDS_INFO).
    UNTRIAGED = (S.NEW, S.NEEDS_INFO)
    OPEN = (S.NEW, S.NEEDS_INFO, S.TRIAGED, S.ACCEPTED)
    CLOSED = (S.DUPLICATE, S.NOT_REPRODUCIBLE, S.WONT_FIX, S.RESOLVED)
    # Decisions that cost the reporter their finding (and its bounty): they may contest them.
    CONTESTABLE = (S.DUPLICATE, S.NOT_REPRODUCIBLE, S.WONT_FIX)
    # What counts as an accepted finding (for bounties and transparency figures).
    COUNTS_AS_ACCEPTED = (S.ACCEPTED, S.RESOLVED)
    del S

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="tickets"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets"
    )
    terms_version = models.ForeignKey(
        "programs.TermsVersion",
        on_delete=models.PROTECT,
        related_name="tickets",
        help_text="The terms in force when the ticket was filed.",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200, validators=[single_line])
    description = bounded_text(20_000)
    steps_to_reproduce = bounded_text(10_000, blank=True)
    expected_result = bounded_text(5000, blank=True)
    actual_result = bounded_text(5000, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True, default="")
    severity_rank = models.PositiveSmallIntegerField(default=0, editable=False)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    triaged_at = models.DateTimeField(
        null=True, blank=True, help_text="When the first triage decision stopped the clock."
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The triage clock pauses while staff wait for the reporter.
    needs_info_since = models.DateTimeField(null=True, blank=True)
    needs_info_seconds = models.PositiveIntegerField(default=0)
    # The triage target's escalation (`tickets_escalate_overdue_triage`): the managers were
    # told it passed, then the reporter.
    triage_escalated_at = models.DateTimeField(null=True, blank=True)
    triage_late_told_at = models.DateTimeField(null=True, blank=True)
    # The first-response target's escalation (`tickets_escalate_no_first_response`), the same way.
    response_escalated_at = models.DateTimeField(null=True, blank=True)
    response_late_told_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    # The reporter sees their own; reviewers and managers see and triage their programme's
    # tickets, never their own (triage, status, assignment, duplicates, internal notes).
    visibility = Visibility(
        programme="programme_id",
        owner="reporter",
        staff="review",
        actions={"triage": "review", "staff_comment": "review"},
    )

    class Meta:
        indexes = [
            models.Index(fields=["programme", "status", "created_at"]),
            models.Index(fields=["reporter", "created_at"]),
            models.Index(fields=["severity_rank", "id"]),
            models.Index(fields=["updated_at", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["bug", "safety_finding"], severity__in=list(SEVERITY_RANK)[1:]
                )
                | (~Q(kind__in=["bug", "safety_finding"]) & Q(severity="")),
                name="ticket_severity_by_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status="duplicate") | Q(duplicate_of__isnull=False),
                name="ticket_duplicate_links_original",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self):
        return reverse("feedback:detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED

    @property
    def is_contestable(self) -> bool:
        return self.status in self.CONTESTABLE

    def triage_age(self, now=None) -> timedelta:
        """Time from filing to the first triage decision (or now), minus time waiting for info."""
        now = now or timezone.now()
        end = self.triaged_at or now
        waiting = timedelta(seconds=self.needs_info_seconds)
        if self.needs_info_since and self.triaged_at is None:
            waiting += end - self.needs_info_since
        return max(end - self.created_at - waiting, timedelta(0))

    @property
    def triage_due_at(self):
        """When the terms it was filed under promise a triage decision (their `triage_days`,
        in business days of the programme's holiday calendar), or None without a target."""
        days = self.terms_version.triage_days
        if days is None:
            return None
        return add_business_days(self.created_at, days, self.programme.holiday_calendar)

    def triage_clock(self, now=None) -> dict | None:
        """The triage target as both sides see it: due, and whether it was met or missed."""
        due = self.triage_due_at
        if due is None:
            return None
        now = now or timezone.now()
        at = self.triaged_at
        return {
            "due": due,
            "days": self.terms_version.triage_days,
            "done": at is not None,
            "missed": (at or now) > due,
        }

    @property
    def first_response_due_at(self):
        """When the terms it was filed under promise a first response (their
        `first_response_days`, in business days of the programme's holiday calendar), or None."""
        days = self.terms_version.first_response_days
        if days is None:
            return None
        return add_business_days(self.created_at, days, self.programme.holiday_calendar)

    def first_response_clock(self, answered_at, now=None) -> dict | None:
        """The first-response target as both sides see it: due `first_response_days` business
        days after filing, met by the first answer (`answered_at`: a status decision or a
        comment the reporter reads, `selectors.first_response_at`)."""
        days = self.terms_version.first_response_days
        if days is None:
            return None
        due = self.first_response_due_at
        now = now or timezone.now()
        return {
            "due": due,
            "days": days,
            "done": answered_at is not None,
            "missed": (answered_at or now) > due,
        }

    @property
    def triage_age_display(self) -> str:
        age = self.triage_age()
        days, rest = divmod(int(age.total_seconds()), 86400)
        hours = rest // 3600
        if days:
            return gettext("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
        return gettext("%(hours)s h %(minutes)s min") % {
            "hours": hours,
            "minutes": rest % 3600 // 60,
        }


class TicketComment(models.Model):
    """A message on a ticket: for the reporter to read, or internal to the programme's staff."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = bounded_text(10_000)
    visible_to_reporter = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    # The reporter reads only what is meant for them, even if they also hold a staff role.
    visibility = Visibility(
        programme="ticket__programme_id",
        owner="ticket__reporter",
        owner_sees=Q(visible_to_reporter=True),
        staff="review",
        staff_sees_own=False,
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Comment on #{self.ticket_id} by {self.author}"


class TicketAttachment(models.Model):
    """A screenshot, video or log, checked by its bytes and stored under a generated name."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    comment = models.ForeignKey(
        TicketComment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
        help_text="The comment the file came with (none: filed with the ticket).",
    )
    file = models.FileField(max_length=200)
    original_name = models.CharField(
        max_length=200, help_text="Shown only; never used as a path.", validators=[single_line]
    )
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    # A file on an internal note is as internal as the note.
    visibility = Visibility(
        programme="ticket__programme_id",
        owner="ticket__reporter",
        owner_sees=Q(comment__isnull=True) | Q(comment__visible_to_reporter=True),
        staff="review",
        staff_sees_own=False,
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("feedback:attachment", args=[self.pk])

    def download(self, variant=None) -> Download:
        return Download(file=self.file, filename=self.original_name, content_type=self.content_type)
