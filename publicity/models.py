"""What the programme's publicity takes from testers' work, each consented, counted and paid
as the terms say: the organiser's promotional uses of an output, competitions that pick a
few winners among many entries, and the tester's choice of training use per output."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.db import AppendOnlyModel, AppendOnlyQuerySet
from core.text import single_line
from programs.policy import RestrictedQuerySet, Visibility

MONEY = {"max_digits": 12, "decimal_places": 2}


class PromotionalUseQuerySet(RestrictedQuerySet):
    pass


class PromotionalUse(models.Model):
    """One use of an approved output in the organiser's own promotion (a launch video, an
    advert), asked for by a manager with its channel, period, territory and credit line.

    Where the terms need consent the tester accepts or declines (a decline is final for
    that request); where the terms include promotion the use is recorded as included. An
    accepted or included use accrues the terms' fee to the ledger once. A use beyond the
    agreed channel or period is a new request.
    """

    class Channel(models.TextChoices):
        LAUNCH_VIDEO = "launch_video", _("Launch video")
        ADVERT = "advert", _("Advertising")
        SOCIAL = "social", _("The organiser's social media")
        WEBSITE = "website", _("The organiser's website")
        PRESS = "press", _("Press and media kit")
        EVENT = "event", _("Event or screening")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Asked, waiting for the tester")
        ACCEPTED = "accepted", _("Accepted by the tester")
        DECLINED = "declined", _("Declined by the tester")
        INCLUDED = "included", _("Included in the terms (no consent asked)")

    # Uses that happen (and accrue their fee, if any).
    IN_USE = (Status.ACCEPTED, Status.INCLUDED)
    STATUS_TONES = {"requested": "warn", "accepted": "ok", "declined": "", "included": "ok"}

    # What an audit event binds (audit.binding): the use asked for, not the answer.
    AUDIT_BOUND_FIELDS = (
        "programme",
        "submission",
        "participant",
        "terms_version",
        "channel",
        "period_start",
        "period_end",
        "territory",
        "credit_line",
        "fee",
    )

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="promotional_uses"
    )
    submission = models.ForeignKey(
        "approvals.OutputSubmission", on_delete=models.PROTECT, related_name="promotional_uses"
    )
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="promotional_uses"
    )
    terms_version = models.ForeignKey(
        "programs.TermsVersion",
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The terms the tester accepted, which allow (and price) this use."),
    )
    channel = models.CharField(max_length=15, choices=Channel.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    territory = models.CharField(max_length=120, validators=[single_line])
    credit_line = models.CharField(max_length=200, blank=True, validators=[single_line])
    fee = models.DecimalField(**MONEY, default=0)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ledger_entry = models.OneToOneField(
        "compensation.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="promotional_use",
    )

    objects = PromotionalUseQuerySet.as_manager()
    # The tester sees (and answers) their own; the programme's staff see every use.
    visibility = Visibility(
        programme="programme_id", owner="participant", staff="staff", actions={"owe_fee": "money"}
    )

    class Meta:
        constraints = [
            # No pressing a tester by repeated requests: one open request per output and channel.
            models.UniqueConstraint(
                fields=["submission", "channel"],
                condition=Q(status="requested"),
                name="one_open_use_request_per_output_channel",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="use_period_ends_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self):
        return f"{self.get_channel_display()} use of {self.submission}"

    @property
    def paid(self) -> bool:
        return self.fee > 0

    def badge(self) -> tuple[str, str]:
        return self.get_status_display(), self.STATUS_TONES.get(self.status, "")


class TrainingChoiceQuerySet(AppendOnlyQuerySet, RestrictedQuerySet):
    pass


class TrainingChoice(AppendOnlyModel):
    """A tester's choice whether their outputs may be used for training, where the terms make
    it a choice: for one output, or (without an output) their default. Append-only: a change
    of mind is a new row from then on, so the product can honour a withdrawal for the future
    and the record shows what was allowed when."""

    programme = models.ForeignKey("programs.Programme", on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_choices"
    )
    submission = models.ForeignKey(
        "approvals.OutputSubmission",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_choices",
    )
    allowed = models.BooleanField()
    chosen_at = models.DateTimeField(db_index=True)

    objects = TrainingChoiceQuerySet.as_manager()
    visibility = Visibility(programme="programme_id", owner="participant", staff="staff")

    class Meta:
        indexes = [models.Index(fields=["programme", "participant", "submission", "chosen_at"])]

    def __str__(self):
        what = f"output {self.submission_id}" if self.submission_id else "default"
        return f"Training {'allowed' if self.allowed else 'refused'} ({what})"


class Competition(models.Model):
    """A competition that picks a few winners among testers' outputs. Its prizes, criteria,
    entry deadline, judges and results date are stated up front; its results are published
    with the number of entries, so the odds are public ("3 prizes among 214 entries")."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open for entries")
        PUBLISHED = "published", _("Results published")

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="competitions"
    )
    title = models.CharField(max_length=200, validators=[single_line])
    criteria = models.TextField(max_length=4000)
    prize_count = models.PositiveIntegerField()
    prize_amount = models.DecimalField(**MONEY, help_text=_("Paid to each winner."))
    currency = models.CharField(max_length=3)
    judges = models.CharField(max_length=300, help_text=_("Who judges."), validators=[single_line])
    entry_deadline = models.DateTimeField()
    results_by = models.DateTimeField(help_text=_("When the results will be published."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entries_at_results = models.PositiveIntegerField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    visibility = Visibility(
        programme="programme_id", staff="staff", actions={"manage": "manage", "judge": "review"}
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(results_by__gte=models.F("entry_deadline")),
                name="competition_results_after_deadline",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def prize_pool(self):
        return self.prize_amount * self.prize_count

    def phase(self, now=None) -> str:
        """Where the competition stands, in words: open until its deadline, then closed
        until its results are published (the status stays "open" until then)."""
        now = now or timezone.now()
        if self.status == self.Status.PUBLISHED:
            return gettext("Results published")
        if now < self.entry_deadline:
            return gettext("Open for entries until %(when)s UTC") % {
                "when": f"{self.entry_deadline:%Y-%m-%d %H:%M}"
            }
        return gettext("Closed for entries; results by %(day)s") % {
            "day": f"{self.results_by:%Y-%m-%d}"
        }

    @property
    def is_open_for_entries(self) -> bool:
        return self.status == self.Status.OPEN and timezone.now() < self.entry_deadline

    def odds(self) -> str:
        """The published odds, in words."""
        entries = self.entries_at_results
        if entries is None:
            entries = self.entries.count()
        prizes = (
            min(self.prize_count, entries)
            if self.status == self.Status.PUBLISHED
            else (self.prize_count)
        )
        among = ngettext(
            "%(prizes)s among %(entries)d entry", "%(prizes)s among %(entries)d entries", entries
        )
        return among % {
            "prizes": ngettext("%(n)d prize", "%(n)d prizes", prizes) % {"n": prizes},
            "entries": entries,
        }


class CompetitionEntry(models.Model):
    """One output entered in a competition by its tester; `prize_rank` once it won."""

    competition = models.ForeignKey(Competition, on_delete=models.PROTECT, related_name="entries")
    submission = models.ForeignKey(
        "approvals.OutputSubmission", on_delete=models.PROTECT, related_name="competition_entries"
    )
    entrant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="competition_entries"
    )
    entered_at = models.DateTimeField()
    prize_rank = models.PositiveIntegerField(null=True, blank=True)
    ledger_entry = models.OneToOneField(
        "compensation.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="competition_entry",
    )

    objects = RestrictedQuerySet.as_manager()
    # The entrant sees their own; staff see all; judging is the reviewers' and managers',
    # never on their own entry.
    visibility = Visibility(
        programme="competition__programme_id",
        owner="entrant",
        staff="staff",
        actions={"judge": "review"},
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "submission"], name="one_entry_per_output"
            )
        ]

    def __str__(self):
        return f"{self.submission} in {self.competition}"


class CreditName(models.Model):
    """How a tester wants to be named in one programme, their choice: a display name (how
    competition results show them) and a credit name (how credit lines and the public proof
    page of their outputs name them), or to stay unnamed everywhere. Without either name
    the display name stands for both, and the other way round."""

    participation = models.OneToOneField(
        "participants.Participation", on_delete=models.PROTECT, related_name="credit_name"
    )
    display_name = models.CharField(max_length=80, blank=True, validators=[single_line])
    credit_name = models.CharField(max_length=120, blank=True, validators=[single_line])
    unnamed = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    # The tester's own; the programme's staff see it (they credit the tester by it).
    visibility = Visibility(
        programme="participation__programme_id", owner="participation__user", staff="staff"
    )

    def __str__(self):
        return f"credit name of {self.participation}"

    def shown(self, *, credit: bool) -> str:
        """The name to show: for a credit (credit lines, proof pages) or for display
        (competition results); empty when the tester chose to stay unnamed."""
        if self.unnamed:
            return ""
        first, second = (
            (self.credit_name, self.display_name)
            if credit
            else (self.display_name, self.credit_name)
        )
        return first or second
