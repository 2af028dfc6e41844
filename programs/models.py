"""Programmes, their staff, and the versioned terms that testers consent to."""

import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.businessdays import validate_calendar
from core.currencies import validate_currency
from core.db import AppendOnlyModel, AppendOnlyQuerySet, bounded_text
from core.text import single_line

from . import policy
from .keyfacts import key_facts
from .policy import RestrictedQuerySet, Visibility, programmes_with


class ProgrammeQuerySet(RestrictedQuerySet):
    def restrict(self, user, action: str = "view"):
        """Seeing: public programmes for everyone, drafts only for their own staff.

        Other actions (`"manage"`, `"review"`, …) are the programmes where the person
        may act with that role (see `Programme.visibility`).
        """
        if action != "view":
            return super().restrict(user, action)
        public = ~Q(status=Programme.Status.DRAFT)
        if user is None or not user.is_authenticated:
            return self.filter(public)
        staffed = programmes_with(user, "staff")
        if staffed is None:
            return self
        return self.filter(public | Q(pk__in=staffed))


class Programme(models.Model):
    """An early-access programme for one product under test, run by its staff."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for applications")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        CLOSED = "closed", _("Closed")

    # Statuses in which participants may do new work (if nothing else blocks them).
    WORKING = (Status.OPEN, Status.RUNNING)

    class TaxForm(models.TextChoices):
        """The tax statuses finance records per payee (`compensation.TaxStatus`)."""

        W9 = "w9", _("IRS Form W-9 (US person)")
        W8BEN = "w8ben", _("IRS Form W-8BEN (non-US person)")
        EU_VAT = "eu_vat", _("EU VAT self-billing agreement")

    name = models.CharField(max_length=120, validators=[single_line])
    slug = models.SlugField(max_length=60, unique=True)
    product = models.CharField(
        max_length=120, help_text=_("The product under test."), validators=[single_line]
    )
    summary = bounded_text(5000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3, default="EUR", validators=[validate_currency])
    reference_hourly_rate = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Stated rate used to estimate the value of unpaid hours on the public page."),
    )
    approval_threshold = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "Ledger entries above this amount need two different approvers. Once set, "
            "a change or removal takes effect when another manager confirms it."
        ),
    )
    # The public holidays its response targets skip (the terms count in business days).
    holiday_calendar = models.CharField(
        "holiday calendar",
        max_length=3,
        blank=True,
        default="",
        validators=[single_line, validate_calendar],
        help_text=_(
            "Country code whose public holidays are not business days (FR, DE, GB, US…); "
            "empty: weekends only."
        ),
    )
    # The language of its pages for a reader whose browser asks for none we ship.
    default_language = models.CharField(
        "default language",
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_(
            "Its pages' language for a reader whose browser asks for none we offer; empty: English."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()
    # Programme-wide actions: `policy.require(user, "manage", programme)`.
    visibility = Visibility(
        programme="id",
        staff="staff",
        actions={
            "manage": "manage",
            "review": "review",
            "money": "money",
            "payouts": "payouts",
            "staff": "staff",
        },
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("transparency:detail", args=[self.slug])


class ProgrammeRole(models.Model):
    """A staff role of one person in one programme. Roles are per programme."""

    class Role(models.TextChoices):
        MANAGER = policy.MANAGER, _("Manager")
        REVIEWER = policy.REVIEWER, _("Reviewer")
        FINANCE = policy.FINANCE, _("Finance")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="programme_roles"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "user", "role"], name="unique_role")
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} of {self.programme}"


class TermsVersionQuerySet(RestrictedQuerySet):
    def published(self):
        return self.filter(status=TermsVersion.Status.PUBLISHED)

    def effective(self, at):
        return self.published().filter(effective_at__lte=at)


class TermsVersion(models.Model):
    """One version of the deal between a programme and its testers.

    Drafted, then published; once published it never changes, and `content_hash`
    (sha256 over every term) is what each consent records.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Activity(models.TextChoices):
        BUG_TESTING = "bug_testing", _("Bug testing")
        FEEDBACK = "feedback", _("Feedback")
        RED_TEAMING = "red_teaming", _("Red teaming")
        CREATIVE_WORK = "creative_work", _("Creative work")

    class PayModel(models.TextChoices):
        UNPAID = "unpaid", _("Unpaid")
        STIPEND = "stipend", _("Stipend")
        HOURLY = "hourly", _("Hourly")
        BOUNTY = "bounty", _("Per accepted finding")
        PRIZE_ONLY = "prize_only", _("Prize only")
        GRANT = "grant", _("Grant")

    class StipendPeriod(models.TextChoices):
        WEEKLY = "weekly", _("week")
        MONTHLY = "monthly", _("month")

    class ApprovalScope(models.TextChoices):
        NONE = "none", _("Not required")
        PUBLIC_SHARING = "public_sharing", _("Required before public sharing")
        EVERY_OUTPUT = "every_output", _("Required for every output")

    class OnMissedDeadline(models.TextChoices):
        DEEMED_APPROVED = "deemed_approved", _("Deemed approved")
        ESCALATED = "escalated", _("Escalated to managers")

    class TrainingUse(models.TextChoices):
        NO = "no", _("No")
        OPT_IN = "opt_in", _("Only if the participant opts in")
        PER_OUTPUT = "per_output", _("Decided by the participant for each output")
        YES = "yes", _("Yes")

    # Where training use is the tester's choice (their default, and per output).
    TRAINING_CHOICE = (TrainingUse.OPT_IN, TrainingUse.PER_OUTPUT)

    class PromotionalUse(models.TextChoices):
        NO = "no", _("No")
        CONSENT = "consent", _("Only with the participant's consent per use")
        INCLUDED = "included", _("Included: no consent asked per use")

    class PromotionCredit(models.TextChoices):
        NAMED = "named", _("With the participant's name")
        UNNAMED = "unnamed", _("Without the participant's name")

    SEVERITIES = ("low", "medium", "high", "critical")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="terms")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    material_change = models.BooleanField(
        _("material change"),
        default=True,
        help_text=_(
            "A material change must be accepted again by every participant before "
            "further work, and takes effect only after the notice period."
        ),
    )
    change_summary = models.CharField(
        _("summary of the change"), max_length=300, blank=True, validators=[single_line]
    )

    # Labour
    expected_activities = models.JSONField(_("expected activities"), default=list, blank=True)
    expected_hours_per_week = models.DecimalField(
        _("expected hours per week"), max_digits=5, decimal_places=1, null=True, blank=True
    )

    # Pay
    pay_model = models.CharField(
        _("pay model"), max_length=12, choices=PayModel.choices, default=PayModel.UNPAID
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[validate_currency]
    )
    hourly_rate = models.DecimalField(
        _("hourly rate"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    hourly_floor = models.DecimalField(
        _("minimum effective hourly pay"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "Whatever the pay model, confirmed hours earn at least this much per hour "
            "each calendar month; the difference is topped up."
        ),
    )
    stipend_amount = models.DecimalField(
        _("stipend amount"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    stipend_period = models.CharField(
        _("stipend period"), max_length=10, choices=StipendPeriod.choices, blank=True, default=""
    )
    bounty_table = models.JSONField(
        _("bounty per accepted finding"),
        default=dict,
        blank=True,
        help_text=_("Amount per accepted finding, by severity."),
    )
    prize_description = models.CharField(
        _("prize"), max_length=300, blank=True, validators=[single_line]
    )
    grant_amount = models.DecimalField(
        _("grant amount"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    payment_schedule = models.CharField(
        _("payment schedule"), max_length=200, blank=True, validators=[single_line]
    )
    # The other currencies the programme pays in under these terms (ISO 4217 codes; None:
    # only `currency`). Each weighs on the two-person limit at finance's dated rates.
    other_currencies = models.JSONField(
        "also pays in",
        null=True,
        blank=True,
        help_text=_(
            "Other currencies pay may be awarded in, as ISO 4217 codes separated by "
            "commas (USD, GBP). Empty: only the currency above."
        ),
    )
    # A condition on pay earned under this version (never on pay earned before it): a valid
    # tax form of one of these kinds (`Programme.TaxForm`) before it is paid. None: pay without.
    tax_forms = models.JSONField(
        _("tax form required before payment"),
        default=list,
        blank=True,
        help_text=_(
            "Pay earned under this version is paid once the tester has sent one of "
            "these forms (in the product). None: paid without."
        ),
    )
    in_kind_benefits = models.CharField(
        _("in-kind benefits"), max_length=300, blank=True, validators=[single_line]
    )

    # Output approval
    approval_scope = models.CharField(
        _("outputs that need approval"),
        max_length=16,
        choices=ApprovalScope.choices,
        default=ApprovalScope.NONE,
    )
    review_deadline_hours = models.PositiveIntegerField(
        _("review deadline (hours)"), null=True, blank=True
    )
    on_missed_deadline = models.CharField(
        _("when the review deadline is missed"),
        max_length=16,
        choices=OnMissedDeadline.choices,
        blank=True,
        default="",
    )
    appeals_allowed = models.BooleanField(_("appeals allowed"), default=True)

    # Confidentiality
    nda = models.BooleanField(_("NDA"), default=False)
    nda_public_scope = models.CharField(
        _("NDA scope"),
        max_length=300,
        blank=True,
        help_text=_("What participants may say in public."),
        validators=[single_line],
    )
    nda_until = models.DateField(_("NDA until (date)"), null=True, blank=True)
    nda_until_text = models.CharField(
        _("NDA until (text)"),
        max_length=100,
        blank=True,
        help_text=_('For an open end, e.g. "until launch".'),
        validators=[single_line],
    )

    # Use of participants' work
    training_use = models.CharField(
        _("use as training data"),
        max_length=10,
        choices=TrainingUse.choices,
        default=TrainingUse.NO,
    )
    credit_attribution = models.CharField(
        _("credit and attribution"), max_length=300, blank=True, validators=[single_line]
    )
    # Publicity: the organiser's own use of testers' outputs and names to promote the product.
    promotional_use = models.CharField(
        _("use in promotion"),
        max_length=10,
        choices=PromotionalUse.choices,
        default=PromotionalUse.NO,
        help_text=_("Whether the organiser may use testers' outputs and names in its promotion."),
    )
    promotion_fee = models.DecimalField(
        _("fee per promotional use"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Paid to the tester for each use; empty or 0 means unpaid, said plainly."),
    )
    promotion_credit = models.CharField(
        _("credit in promotion"),
        max_length=10,
        choices=PromotionCredit.choices,
        blank=True,
        default="",
    )

    # Participation
    voluntary = models.BooleanField(_("participation is voluntary"), default=True)
    right_to_withdraw = models.BooleanField(_("right to withdraw"), default=True)
    notice_period_days = models.PositiveIntegerField(_("notice period (days)"), default=14)

    # Response targets, in business days of the programme's holiday calendar: how fast the
    # organiser answers. Empty: no target promised.
    first_response_days = models.PositiveSmallIntegerField(
        _("first response to a ticket (business days)"), null=True, blank=True
    )
    triage_days = models.PositiveSmallIntegerField(
        _("triage decision (business days)"), null=True, blank=True
    )
    contest_days = models.PositiveSmallIntegerField(
        _("decision on a contest (business days)"), null=True, blank=True
    )
    payment_days = models.PositiveSmallIntegerField(
        _("payment after approval (business days)"),
        null=True,
        blank=True,
        help_text=_(
            "Pay reaches the tester's bank at most this many business days after finance "
            "approves it. The statement shows each payment's expected date from it."
        ),
    )
    pause_policy = models.CharField(
        _("when access may be paused"),
        max_length=300,
        blank=True,
        help_text=_("When the organiser may pause access."),
        validators=[single_line],
    )

    body = bounded_text(100_000, verbose_name=_("full text"), blank=True)
    # The language of its own text: what binds. Translations (`TermsTranslation`) help read it.
    binding_language = models.CharField(
        _("binding language"), max_length=10, choices=settings.LANGUAGES, default="en-gb"
    )

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    effective_at = models.DateTimeField(null=True, blank=True, db_index=True)
    content_hash = models.CharField(max_length=64, blank=True)

    objects = TermsVersionQuerySet.as_manager()
    # Managers draft and publish; what anyone reads is the published versions (`published()`).
    visibility = Visibility(programme="programme_id", staff="manage", actions={"manage": "manage"})

    # Every field that is part of the deal; the content hash covers exactly these.
    TERMS_FIELDS = (
        "expected_activities",
        "expected_hours_per_week",
        "pay_model",
        "currency",
        "hourly_rate",
        "hourly_floor",
        "stipend_amount",
        "stipend_period",
        "bounty_table",
        "prize_description",
        "grant_amount",
        "payment_schedule",
        "other_currencies",
        "tax_forms",
        "in_kind_benefits",
        "approval_scope",
        "review_deadline_hours",
        "on_missed_deadline",
        "appeals_allowed",
        "nda",
        "nda_public_scope",
        "nda_until",
        "nda_until_text",
        "training_use",
        "credit_attribution",
        "promotional_use",
        "promotion_fee",
        "promotion_credit",
        "voluntary",
        "right_to_withdraw",
        "notice_period_days",
        "pause_policy",
        "first_response_days",
        "triage_days",
        "contest_days",
        "payment_days",
        "material_change",
        "body",
    )

    # What an audit event binds of a version (audit.binding): every term, and its hash.
    AUDIT_BOUND_FIELDS = ("programme", "number", "content_hash", *TERMS_FIELDS)

    # Terms added after versions were published, hashed only when stated.
    ADDED_TERMS = frozenset(
        {
            "hourly_floor",
            "first_response_days",
            "triage_days",
            "contest_days",
            "payment_days",
            "other_currencies",
            "tax_forms",
        }
    )
    # The response targets and what each promises, as the key facts say it.
    RESPONSE_TARGETS = {
        "first_response_days": "a first response to a ticket",
        "triage_days": "a triage decision",
        "contest_days": "a decision on a contest",
        "payment_days": "payment after approval",
    }
    # What a new programme's first terms promise until its managers change it.
    DEFAULT_RESPONSE_TARGETS = {
        "first_response_days": 2,
        "triage_days": 5,
        "contest_days": 10,
        "payment_days": 10,
    }

    class Meta:
        ordering = ["programme", "number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="unique_terms_number")
        ]

    def __str__(self):
        return f"{self.programme} terms v{self.number}"

    def get_absolute_url(self):
        return reverse("programs:terms", args=[self.programme.slug, self.number])

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    def content(self) -> dict:
        """The terms as plain data: what is hashed, diffed and exported."""
        out = {}
        for name in self.TERMS_FIELDS:
            value = getattr(self, name)
            if isinstance(value, Decimal):
                value = str(value)
            if name in self.ADDED_TERMS and value in (None, []):
                # A term added later, not stated: left out so the versions published
                # before it existed keep their content hash (consents name that hash).
                continue
            out[name] = value
        return out

    def compute_hash(self) -> str:
        payload = json.dumps(
            {"programme": self.programme.slug, "number": self.number, **self.content()},
            sort_keys=True,
            separators=(",", ":"),
            cls=DjangoJSONEncoder,
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def activity_labels(self) -> list[str]:
        labels = dict(self.Activity.choices)
        return [str(labels.get(a, a)) for a in (self.expected_activities or [])]

    @property
    def tax_form_labels(self) -> list[str]:
        labels = dict(Programme.TaxForm.choices)
        return [str(labels.get(k, k)) for k in (self.tax_forms or [])]

    def bounty_for(self, severity: str) -> Decimal | None:
        value = (self.bounty_table or {}).get(severity)
        return Decimal(str(value)) if value not in (None, "") else None

    def requires_approval(self, *, public: bool = True) -> bool:
        """Whether an output needs the programme's approval before this use."""
        if self.approval_scope == self.ApprovalScope.EVERY_OUTPUT:
            return True
        if self.approval_scope == self.ApprovalScope.PUBLIC_SHARING:
            return public
        return False

    @property
    def promotion_paid(self) -> bool:
        return bool(self.promotion_fee) and self.promotion_fee > 0

    @property
    def training_is_a_choice(self) -> bool:
        return self.training_use in self.TRAINING_CHOICE

    def key_facts(self, shown: dict | None = None) -> list[str]:
        return key_facts(self, shown)

    def translation(self, language: str):
        """Its published translation into `language`, or None (the binding text is shown)."""
        if language == self.binding_language:
            return None
        return next((t for t in self.translations.all() if t.language == language), None)


class TermsTranslationQuerySet(AppendOnlyQuerySet):
    pass


class TermsTranslation(AppendOnlyModel):
    """A version's full text and free-text terms in one more language, to help read it.

    A row of its own, not translated columns on the version (django-modeltranslation): a
    version never changes once published, and a translation may come later, by its own audited
    event, without touching the binding text or its hash. The structured terms need none: the
    key facts are generated in each language. `content_hash` is what a consent to this
    translation records as the text it showed; it names the binding version's hash too.
    """

    # The free-text terms a translation gives (the structured ones are generated).
    TEXT_FIELDS = (
        "change_summary",
        "prize_description",
        "payment_schedule",
        "in_kind_benefits",
        "nda_public_scope",
        "nda_until_text",
        "credit_attribution",
        "pause_policy",
        "body",
    )
    AUDIT_BOUND_FIELDS = ("terms", "language", "content_hash", "published_at", "published_by")

    terms = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="translations")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    change_summary = models.CharField(max_length=300, blank=True, validators=[single_line])
    prize_description = models.CharField(max_length=300, blank=True, validators=[single_line])
    payment_schedule = models.CharField(max_length=200, blank=True, validators=[single_line])
    in_kind_benefits = models.CharField(max_length=300, blank=True, validators=[single_line])
    nda_public_scope = models.CharField(max_length=300, blank=True, validators=[single_line])
    nda_until_text = models.CharField(max_length=100, blank=True, validators=[single_line])
    credit_attribution = models.CharField(max_length=300, blank=True, validators=[single_line])
    pause_policy = models.CharField(max_length=300, blank=True, validators=[single_line])
    body = bounded_text(100_000, verbose_name=_("full text"), blank=True)
    content_hash = models.CharField(max_length=64)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = TermsTranslationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["terms", "language"], name="one_translation_per_language"
            )
        ]

    def __str__(self):
        return f"{self.terms} in {self.language}"

    def text(self) -> dict:
        """The translated free-text terms, as the key facts and the consent screen use them."""
        return {name: getattr(self, name) for name in self.TEXT_FIELDS}

    def compute_hash(self) -> str:
        """sha256 over the exact text shown, the language and the binding version's hash."""
        payload = json.dumps(
            {"binding": self.terms.content_hash, "language": self.language, **self.text()},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def body_hash(body: str | None) -> str:
    """sha256 of a version's full text: what an editorial confirmation is about."""
    return hashlib.sha256((body or "").encode()).hexdigest()


class EditorialConfirmation(models.Model):
    """A second manager's word that a draft changes the full text only editorially.

    Any change to the full text is material (notice, then consent) unless another manager
    of the programme, seeing the diff, confirms it changes wording only. The confirmation
    holds for the exact two texts it saw (their hashes): a draft edited again, or a version
    in force that moved, needs a new one. Testers see who confirmed it, with the diff.
    """

    terms = models.OneToOneField(TermsVersion, on_delete=models.CASCADE, related_name="editorial")
    old_number = models.PositiveIntegerField(
        help_text=_("The version in force it was compared to.")
    )
    old_body_hash = models.CharField(max_length=64)
    new_body_hash = models.CharField(max_length=64)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.terms}: editorial change, asked by {self.requested_by}"

    def is_about(self, old_body: str | None, new_body: str | None) -> bool:
        """Asked about exactly these two texts (not an older draft, not another version)."""
        return self.old_body_hash == body_hash(old_body) and self.new_body_hash == body_hash(
            new_body
        )

    def holds_for(self, old_body: str | None, new_body: str | None) -> bool:
        """Confirmed, and about exactly these two texts."""
        return self.confirmed_by_id is not None and self.is_about(old_body, new_body)


class ThresholdChange(models.Model):
    """A change of a programme's two-person approval threshold: proposed by one manager, in
    force only once another confirms it. `new` None removes the threshold. A later proposal,
    or the threshold moving meanwhile, closes an open one (`closed_at`, never confirmed)."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="threshold_changes"
    )
    old = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    new = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]

    def __str__(self):
        return f"{self.programme}: threshold {self.old} → {self.new}"

    @property
    def is_open(self) -> bool:
        return self.confirmed_at is None and self.closed_at is None


class TransparencySnapshot(models.Model):
    """The public figures of a programme as computed at one time (see transparency.figures)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="snapshots")
    computed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    figures = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        indexes = [models.Index(fields=["programme", "-computed_at"])]

    def __str__(self):
        return f"{self.programme} figures as of {self.computed_at:%Y-%m-%d %H:%M}"
