"""Outputs that participants submit for share approval, and the decisions on them.

A submission records the terms version in force when it was made and the review
clock those terms promise (`due_at`). Decisions and appeals are written once and
never changed; the submission's status is the only thing that moves, and only
through `approvals.services`.
"""

import mimetypes
import secrets
from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.db import AppendOnlyModel, bounded_text
from core.text import single_line
from programs.downloads import Download, shows_inline
from programs.policy import RestrictedQuerySet, Visibility

# Terms without a review deadline sort after every dated item (then by submission
# order), so the queue can be paged by key on one non-null column.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


class ReasonCodeQuerySet(RestrictedQuerySet):
    def active(self):
        return self.filter(active=True)


class ReasonCode(models.Model):
    """A reason a programme's reviewers may give for anything but an approval.

    The list is kept by the programme's managers. A code is never edited or
    deleted once made (decisions point at it); it is retired by deactivating it.
    """

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="reason_codes"
    )
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=120, validators=[single_line])
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReasonCodeQuerySet.as_manager()
    # Reviewers and managers of a programme see its reason codes; managers keep the list.
    visibility = Visibility(programme="programme_id", staff="review", actions={"manage": "manage"})

    class Meta:
        ordering = ["programme", "label"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="unique_reason_code")
        ]

    def __str__(self):
        return self.label


class OutputSubmissionQuerySet(RestrictedQuerySet):
    def open(self):
        return self.filter(status__in=OutputSubmission.OPEN)


class OutputSubmission(models.Model):
    """One output (a file or a URL) that a participant asks permission to share.

    Resubmitting after "changes requested" creates a new submission linked to the
    old one by `previous`, so every version and its decision stay on record.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        DEEMED_APPROVED = "deemed_approved", _("Deemed approved (deadline missed)")
        REJECTED = "rejected", _("Rejected")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        RESUBMITTED = "resubmitted", _("Replaced by a new version")
        APPEALED = "appealed", _("Appealed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # Waiting for a reviewer (the queue).
    OPEN = (Status.PENDING, Status.IN_REVIEW, Status.APPEALED)
    # May be shared: each has a public verification page.
    APPROVED_STATES = (Status.APPROVED, Status.DEEMED_APPROVED)
    # Decided by a reviewer or by the deadline (the staff list of decided outputs).
    DECIDED = (*APPROVED_STATES, Status.REJECTED, Status.CHANGES_REQUESTED)
    # Allowed transitions; every change goes through approvals.services.
    TRANSITIONS = {
        Status.PENDING: {
            Status.IN_REVIEW,
            Status.APPROVED,
            Status.DEEMED_APPROVED,
            Status.REJECTED,
            Status.CHANGES_REQUESTED,
            Status.WITHDRAWN,
        },
        Status.IN_REVIEW: {
            Status.PENDING,
            Status.APPROVED,
            Status.DEEMED_APPROVED,
            Status.REJECTED,
            Status.CHANGES_REQUESTED,
            Status.WITHDRAWN,
        },
        Status.CHANGES_REQUESTED: {Status.RESUBMITTED},
        Status.REJECTED: {Status.APPEALED},
        # An appeal's decision is final: approved, or the rejection stands.
        Status.APPEALED: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: set(),
        Status.DEEMED_APPROVED: set(),
        Status.RESUBMITTED: set(),
        Status.WITHDRAWN: set(),
    }

    class IntendedUse(models.TextChoices):
        SOCIAL = "social", _("Social media post")
        PORTFOLIO = "portfolio", _("Portfolio")
        SCREENING = "screening", _("Screening or festival")
        PRESS = "press", _("Press")
        OTHER = "other", _("Other public use")
        PRIVATE = "private", _("Private / internal (not public)")

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="submissions"
    )
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="output_submissions"
    )
    terms_version = models.ForeignKey(
        "programs.TermsVersion",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The terms in force at submission; they set the deadline and the rules.",
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_versions"
    )
    version = models.PositiveIntegerField(default=1)

    title = models.CharField(max_length=200, validators=[single_line])
    prompt = bounded_text(10_000, blank=True)
    file = models.FileField(blank=True, max_length=200)
    file_type = models.CharField(max_length=50, blank=True)
    url = models.URLField(blank=True, max_length=500)
    content_hash = models.CharField(max_length=64, help_text="sha256 of the file or the URL.")
    intended_use = models.CharField(max_length=12, choices=IntendedUse.choices)
    intended_venue = models.CharField(max_length=200, blank=True, validators=[single_line])
    intended_date = models.DateField(null=True, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    clock_at = models.DateTimeField(
        help_text="due_at, or the far future without a deadline: the queue's sort key."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    verify_token = models.CharField(max_length=64, unique=True, null=True, blank=True)

    objects = OutputSubmissionQuerySet.as_manager()
    # Participants see their own; reviewers and managers see and review their programme's
    # items, never their own (`restrict(user, "review")` seeks the queue index: no OR).
    visibility = Visibility(
        programme="programme_id",
        owner="participant",
        staff="review",
        # "promote": the programme's managers ask to use an approved output in their publicity
        # (publicity.services.use_request), never their own output.
        actions={"review": "review", "promote": "manage"},
    )

    class Meta:
        indexes = [
            models.Index(fields=["status", "clock_at"], name="approvals_queue_idx"),
            models.Index(fields=["participant", "submitted_at"], name="approvals_mine_idx"),
            # A participant's open and rejected outputs (the portal home): without it the
            # planner and-ed the participant's index with every open item of every programme.
            models.Index(fields=["participant", "status"], name="approvals_mine_status_idx"),
            models.Index(
                fields=["programme", "status", "clock_at", "id"], name="approvals_prog_clock_idx"
            ),
            # The deadline sweep's reads: open items by deadline (an eighth of all items).
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status__in=["pending", "in_review", "appealed"]),
                name="approvals_open_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self):
        return reverse("approvals:output", args=[self.pk])

    def download(self, variant=None) -> Download | None:
        """The uploaded file (a URL output has none) as a download; `variant="preview"` is
        the same file shown in the review page, for a picture or video only."""
        if not self.file or (variant == "preview" and not self.preview_kind):
            return None
        extension = mimetypes.guess_extension(self.file_type) or ""
        return Download(
            file=self.file,
            filename=f"output-{self.pk}{extension}",
            content_type=self.file_type or "application/octet-stream",
            inline=variant == "preview",
        )

    @property
    def preview_kind(self) -> str | None:
        """ "image" or "video" when the review page may show the file itself, else None."""
        if not self.file or not shows_inline(self.file_type):
            return None
        return self.file_type.split("/", 1)[0]

    @property
    def is_public_use(self) -> bool:
        return self.intended_use != self.IntendedUse.PRIVATE

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_approved(self) -> bool:
        return self.status in self.APPROVED_STATES

    @property
    def round(self) -> str:
        """'appeal' while an appeal is open, else 'review': clocks and reminders are per round."""
        return "appeal" if self.status == self.Status.APPEALED else "review"

    def claim_active(self, now) -> bool:
        return bool(self.claimed_by_id and self.claim_expires_at and self.claim_expires_at > now)

    def time_left(self, now):
        """The time left on the review clock (negative when overdue), or None without one."""
        if self.due_at is None or not self.is_open:
            return None
        return self.due_at - now

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(24)


class ReviewDecision(AppendOnlyModel):
    """One decision on one submission: never edited or deleted.

    `stage` says which round it closes. At most one decision per round can
    exist (a database constraint), so two reviewers deciding at once cannot
    both land.
    """

    # What its audit event binds (audit.binding): the whole record (it is never edited).
    AUDIT_BOUND_FIELDS = (
        "submission",
        "stage",
        "outcome",
        "reviewer",
        "reason",
        "note",
        "decided_at",
    )

    class Stage(models.TextChoices):
        REVIEW = "review", _("Review")
        APPEAL = "appeal", _("Appeal")
        AUTOMATIC = "automatic", _("Automatic")

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        DEEMED_APPROVED = "deemed_approved", _("Deemed approved: the review deadline passed")
        NOT_REQUIRED = "not_required", _("Approved: the terms require no approval for this use")

    # What reviewers choose from; the other outcomes are written by the system.
    REVIEWER_OUTCOMES = (Outcome.APPROVED, Outcome.REJECTED, Outcome.CHANGES_REQUESTED)
    APPEAL_OUTCOMES = (Outcome.APPROVED, Outcome.REJECTED)

    submission = models.ForeignKey(
        OutputSubmission, on_delete=models.PROTECT, related_name="decisions"
    )
    stage = models.CharField(max_length=10, choices=Stage.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.ForeignKey(
        ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    note = bounded_text(4000, blank=True, help_text="To the participant.")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "stage"], name="one_decision_per_round")
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} — {self.submission}"

    @property
    def is_approval(self) -> bool:
        return self.outcome in (
            self.Outcome.APPROVED,
            self.Outcome.DEEMED_APPROVED,
            self.Outcome.NOT_REQUIRED,
        )


class Appeal(AppendOnlyModel):
    """A participant's one appeal against a rejection, with their note. Never edited."""

    submission = models.OneToOneField(
        OutputSubmission, on_delete=models.PROTECT, related_name="appeal"
    )
    note = bounded_text(4000)
    filed_at = models.DateTimeField()

    def __str__(self):
        return f"Appeal of {self.submission}"
