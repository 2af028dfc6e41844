"""Recourse: a tester contests a decision that costs them, and someone else answers it.

A `Contest` names the decision it contests by the audit event that recorded it (who made
it, when, what it changed), so the person who decided is known from the log and can be
kept off the answer. One contest per decision (`round` 1), then a manager's final word
(`round` 2), then nothing more. Every change goes through `recourse.services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.db import bounded_text
from core.text import single_line
from programs.policy import RestrictedQuerySet, Visibility


class ContestReason(models.Model):
    """A reason a tester may give for contesting, in a programme's own list (kept by its
    managers at /contests/reasons/). A programme without one offers
    `recourse.reasons.DEFAULT_REASONS`."""

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="contest_reasons"
    )
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=120, validators=[single_line])
    active = models.BooleanField(default=True)

    objects = RestrictedQuerySet.as_manager()
    # Every staff member of the programme sees the list; its managers keep it.
    visibility = Visibility(programme="programme_id", staff="staff", actions={"manage": "manage"})

    class Meta:
        ordering = ["programme", "label"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="unique_contest_reason")
        ]

    def __str__(self):
        return self.label


class Contest(models.Model):
    """A tester's contest of one decision that cost them, and its written answer."""

    class Kind(models.TextChoices):
        TICKET = "ticket", _("Ticket status (and its bounty)")
        HOURS = "hours", _("Hours refused")
        PAY = "pay", _("Pay reversed")
        RESULT = "result", _("Competition result")
        FEE = "fee", _("Promotional-use fee")
        PAYOUT = "payout", _("Payment failed or returned")
        AWARD = "award", _("Award never made")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for an answer")
        UPHELD = "upheld", _("Won: the decision was changed")
        DISMISSED = "dismissed", _("Lost: the decision stands")

    STATUS_TONES = {"upheld": "ok", "dismissed": "bad", "open": "warn"}
    # The terms' pay models that promise an award (a grant, a prize) a tester may ask for.
    AWARDING = ("grant", "prize_only")
    FIRST, FINAL = 1, 2

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="contests"
    )
    tester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contests"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    ticket = models.ForeignKey(
        "feedback.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    time_entry = models.ForeignKey(
        "labour.TimeEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ledger_entry = models.ForeignKey(
        "compensation.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The entry of pay whose reversal is contested.",
    )
    competition_entry = models.ForeignKey(
        "publicity.CompetitionEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The entry whose competition result is contested.",
    )
    promotional_use = models.ForeignKey(
        "publicity.PromotionalUse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The promotional use whose fee is contested.",
    )
    payout_line = models.ForeignKey(
        "compensation.PayoutLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The payout line that failed or came back, whose outcome is contested.",
    )
    consent = models.ForeignKey(
        "participants.Consent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The acceptance of the terms that promise the award never made.",
    )
    amount_owed = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="A won contest of a fee: the fee the terms promise; of a payment failed or "
        "returned: what it cost the tester. Stated by the answerer.",
    )
    decision = models.ForeignKey(
        "audit.AuditEvent",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The audit event that recorded the decision contested.",
    )
    decision_maker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who made the decision contested: never the one who answers.",
    )
    round = models.PositiveSmallIntegerField(default=FIRST)
    reason_code = models.SlugField(max_length=40)
    reason_label = models.CharField(max_length=120, validators=[single_line])
    text = bounded_text(4000)
    evidence = bounded_text(4000, blank=True)
    filed_at = models.DateTimeField(default=timezone.now, db_index=True)
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="The answer the terms promise, in business days."
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    tester_told_late_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    answer = bounded_text(4000, blank=True)

    objects = RestrictedQuerySet.as_manager()
    # The tester sees their own; the programme's staff see all. Reviewers and managers answer
    # a first contest of a ticket or hours, finance and managers one of pay or a fee; a manager
    # gives the final word; never the decision's maker, never on their own contest.
    visibility = Visibility(
        programme="programme_id",
        owner="tester",
        staff="staff",
        actions={
            "answer_contest": "review",
            "answer_pay_contest": "money",
            "answer_award_contest": "manage",
            "final_word": "manage",
        },
        maker="decision_maker",
        checks=("answer_contest", "answer_pay_contest", "answer_award_contest", "final_word"),
    )

    class Meta:
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["programme", "status", "due_at"])]
        constraints = [
            # One decision may concern several testers (a competition's results): one each.
            models.UniqueConstraint(
                fields=["decision", "tester", "round"], name="one_contest_per_round"
            ),
            models.CheckConstraint(
                condition=Q(round__in=[1, 2]), name="contest_round_first_or_final"
            ),
            models.CheckConstraint(
                condition=Q(kind="ticket", ticket__isnull=False)
                | Q(kind="hours", time_entry__isnull=False)
                | Q(kind="pay", ledger_entry__isnull=False)
                | Q(kind="result", competition_entry__isnull=False)
                | Q(kind="fee", promotional_use__isnull=False)
                | Q(kind="payout", payout_line__isnull=False)
                | Q(kind="award", consent__isnull=False),
                name="contest_names_its_record",
            ),
        ]

    def __str__(self):
        return f"Contest #{self.pk} of {self.subject_label}"

    def get_absolute_url(self):
        return reverse("recourse:detail", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.round == self.FINAL

    @property
    def subject_label(self) -> str:
        if self.kind == self.Kind.TICKET:
            return f"ticket #{self.ticket_id}"
        if self.kind == self.Kind.PAY:
            return f"pay entry #{self.ledger_entry_id}"
        if self.kind == self.Kind.RESULT:
            return f"competition entry #{self.competition_entry_id}"
        if self.kind == self.Kind.FEE:
            return f"promotional use #{self.promotional_use_id}"
        if self.kind == self.Kind.PAYOUT:
            return f"payment #{self.payout_line_id}"
        if self.kind == self.Kind.AWARD:
            return f"the award of terms consent #{self.consent_id}"
        return f"hours entry #{self.time_entry_id}"

    @property
    def subject_shown(self) -> str:
        """`subject_label` in the reader's language, for pages (the English one is stored in
        notifications and audit data)."""
        if self.kind == self.Kind.TICKET:
            return gettext("ticket #%(number)s") % {"number": self.ticket_id}
        if self.kind == self.Kind.PAY:
            return gettext("pay entry #%(number)s") % {"number": self.ledger_entry_id}
        if self.kind == self.Kind.RESULT:
            return gettext("competition entry #%(number)s") % {"number": self.competition_entry_id}
        if self.kind == self.Kind.FEE:
            return gettext("promotional use #%(number)s") % {"number": self.promotional_use_id}
        if self.kind == self.Kind.PAYOUT:
            return gettext("payment #%(number)s") % {"number": self.payout_line_id}
        if self.kind == self.Kind.AWARD:
            return gettext("the award of terms consent #%(number)s") % {"number": self.consent_id}
        return gettext("hours entry #%(number)s") % {"number": self.time_entry_id}

    def clock(self, now=None) -> dict | None:
        """The answer's target as both sides see it: due, and whether it was met or missed."""
        if self.due_at is None:
            return None
        now = now or timezone.now()
        return {
            "due": self.due_at,
            "done": self.decided_at is not None,
            "missed": (self.decided_at or now) > self.due_at,
        }
