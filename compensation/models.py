"""What testers earn, and how it reaches them: the ledger and the payout batches.

The ledger is append-only. An entry's money, payee, source and terms never
change once written; only its workflow columns (approval, batch, payment) move
forward, through `compensation.services`. A correction is a reversal entry
pointing at the original. On PostgreSQL a trigger enforces the same rule for
every client (see migration 0002).
"""

import hashlib
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from core.db import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet
from core.encryption import decrypt_bytes
from core.text import single_line
from programs import policy
from programs.downloads import Download
from programs.models import Programme
from programs.policy import RestrictedQuerySet, Visibility

MONEY = {"max_digits": 12, "decimal_places": 2}
CENT = Decimal("0.01")


def money_sum(field: str = "amount"):
    """A Sum of money wide enough for many entries. Pass the result through `cents`."""
    return Sum(field, output_field=models.DecimalField(max_digits=16, decimal_places=2))


def cents(value) -> Decimal:
    """A sum read back from the database, to the cent.

    SQLite returns aggregates of decimals with 15 significant digits
    (0.300000000000000); PostgreSQL's numeric is exact. Both become 0.30.
    """
    return Decimal(value or 0).quantize(CENT)


class LedgerEntryQuerySet(AppendOnlyQuerySet, RestrictedQuerySet):
    def workflow_update(self, **changes) -> int:
        """Move workflow columns forward (services only). Money and provenance stay frozen."""
        allowed = set(LedgerEntry.WORKFLOW_FIELDS)
        for name in changes:
            if name.removesuffix("_id") not in allowed:
                raise AppendOnlyError(LedgerEntry._meta.verbose_name)
        return models.QuerySet.update(self, **changes)

    def pending(self):
        return self.exclude(state=LedgerEntry.State.PAID)

    def pay(self):
        """Entries that are pay: not cost reimbursements, nor reversals of them."""
        kinds = LedgerEntry.REIMBURSING
        return self.exclude(kind__in=kinds).exclude(
            kind=LedgerEntry.Kind.REVERSAL, reverses__kind__in=kinds
        )

    def reimbursements(self):
        """Cost reimbursements, with the reversals that correct them."""
        kinds = LedgerEntry.REIMBURSING
        return self.filter(
            Q(kind__in=kinds) | Q(kind=LedgerEntry.Kind.REVERSAL, reverses__kind__in=kinds)
        )


class LedgerEntry(AppendOnlyModel):
    """One amount a participant earned (or a correction of one), under the terms in force."""

    # What its audit event binds (audit.binding): everything but the workflow columns, which
    # change later, each change with an event of its own.
    AUDIT_BOUND_FIELDS = (
        "participation",
        "programme",
        "kind",
        "amount",
        "currency",
        "source_type",
        "source_id",
        "description",
        "earned_on",
        "terms_version",
        "reverses",
        "idempotency_key",
    )

    class Kind(models.TextChoices):
        STIPEND = "stipend", _("Stipend")
        HOURLY = "hourly", _("Hourly")
        BOUNTY = "bounty", _("Bounty")
        PRIZE = "prize", _("Prize")
        GRANT = "grant", _("Grant")
        ADJUSTMENT = "adjustment", _("Adjustment")
        REVERSAL = "reversal", _("Reversal")
        PROMOTION = "promotion", _("Promotional use")
        TOPUP = "topup", _("Pay floor top-up")
        EXPENSES = "expenses", _("Cost reimbursement (travel, equipment)")

    class State(models.TextChoices):
        ACCRUED = "accrued", _("Accrued")
        APPROVED = "approved", _("Approved")
        EXPORTED = "exported", _("Exported")
        PAID = "paid", _("Paid")

    # Allowed transitions; each one is a service in compensation.services.
    # A payment the provider refused, or the bank returned (even after it was booked), sends
    # the entry back to approved: it waits, out of any batch, for the next one.
    TRANSITIONS = {
        State.ACCRUED: {State.APPROVED},
        State.APPROVED: {State.EXPORTED},
        State.EXPORTED: {State.PAID, State.APPROVED},
        State.PAID: {State.APPROVED},
    }
    PENDING = (State.ACCRUED, State.APPROVED, State.EXPORTED)
    MANUAL_KINDS = (Kind.PRIZE, Kind.GRANT, Kind.EXPENSES, Kind.ADJUSTMENT)
    # Money that pays back what a tester spent: not pay. Hourly figures, the pay floor and the
    # public figures leave it out and show it apart.
    REIMBURSING = (Kind.EXPENSES,)
    # The only columns that may change after the row is written (also the trigger's list).
    WORKFLOW_FIELDS = (
        "state",
        "approved_by",
        "approved_at",
        "second_approver",
        "second_approved_at",
        "batch",
        "paid_reference",
        "paid_at",
    )

    participation = models.ForeignKey(
        "participants.Participation", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    source_type = models.CharField(
        max_length=40, help_text='Where it comes from: "feedback.timeentry", "period", "manual".'
    )
    source_id = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=300, validators=[single_line])
    earned_on = models.DateField(
        db_index=True, help_text="The day the work was done or the award made (batch periods)."
    )
    terms_version = models.ForeignKey(
        "programs.TermsVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    idempotency_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Workflow columns.
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACCRUED)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    second_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_approved_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(
        "PayoutBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    paid_reference = models.CharField(max_length=120, blank=True, validators=[single_line])
    paid_at = models.DateField(null=True, blank=True)

    objects = LedgerEntryQuerySet.as_manager()
    # A participant sees their own; finance and managers their programmes' and approve or
    # reverse them, never their own pay, and never an entry they created or accrued.
    visibility = Visibility(
        programme="programme_id",
        owner="participation__user",
        staff="money",
        actions={"approve": "money", "reverse": "money"},
        maker="created_by",
        checks=("approve",),
    )

    class Meta:
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="one_reversal_per_entry",
            ),
            models.CheckConstraint(
                condition=Q(state="accrued") | Q(approved_by__isnull=False),
                name="approved_entries_have_an_approver",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["accrued", "approved"]) | Q(batch__isnull=False),
                name="exported_entries_have_a_batch",
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "state", "currency"]),
            models.Index(fields=["participation", "created_at"]),
            models.Index(fields=["state", "created_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency} for {self.participation}"

    def badge(self) -> tuple[str, str]:
        """How the entry's state reads on a badge (`{% status_badge entry %}`)."""
        if self.state == self.State.PAID:
            return self.get_state_display(), "ok"
        if self.state == self.State.ACCRUED and self.approved_by_id:
            return _("Accrued, 1 of 2 approvals"), "warn"
        if self.state == self.State.ACCRUED:
            return self.get_state_display(), "warn"
        return self.get_state_display(), ""

    @property
    def needs_first_approval(self) -> bool:
        return self.state == self.State.ACCRUED and self.approved_by_id is None

    @property
    def awaiting_second_approval(self) -> bool:
        return self.state == self.State.ACCRUED and self.approved_by_id is not None


class PayoutBatchQuerySet(RestrictedQuerySet):
    def restrict(self, user, action: str = "view"):
        """A batch spans programmes: finance and managers who may act in every one of them
        see it (`"view"`); finance of every one of them builds and settles it (`"payouts"`).
        The policy's rule for records of several programmes."""
        return policy.restrict_to_every_programme(self, user, action)


class PayoutBatch(models.Model):
    """A finance export: approved entries of some programmes, one currency, one period.

    Each entry is in at most one batch. The generated files are stored as
    written; their sha256 is recorded so a re-download can be checked.
    """

    class Status(models.TextChoices):
        BUILDING = "building", _("Building")
        READY = "ready", _("Ready to pay")
        FAILED = "failed", _("Failed")
        PAID = "paid", _("Paid")

    TRANSITIONS = {
        Status.BUILDING: {Status.READY, Status.FAILED},
        Status.READY: {Status.PAID},
        Status.FAILED: {Status.BUILDING},
        Status.PAID: set(),
    }

    class Method(models.TextChoices):
        FILE = "file", _("Any provider (CSV and XLSX)")
        SEPA = "sepa", _("SEPA credit transfer (pain.001)")
        PAYPAL = "paypal", _("PayPal Payouts")
        WISE = "wise", _("Wise batch transfer")

    programmes = models.ManyToManyField("programs.Programme", related_name="payout_batches")
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.FILE)
    # The pain.001 version of a SEPA batch's file (the rulebook's current one by default).
    sepa_version = models.CharField(
        max_length=20,
        choices=[("pain.001.001.09", "pain.001.001.09"), ("pain.001.001.03", "pain.001.001.03")],
        default="pain.001.001.09",
    )
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    entries_count = models.PositiveIntegerField(default=0)
    total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    csv_file = models.FileField(upload_to="payouts/", blank=True)
    csv_sha256 = models.CharField(max_length=64, blank=True)
    xlsx_file = models.FileField(upload_to="payouts/", blank=True)
    xlsx_sha256 = models.CharField(max_length=64, blank=True)
    # The bank's or provider's own file (SEPA XML, PayPal or Wise CSV) for method batches.
    provider_file = models.FileField(upload_to="payouts/", blank=True)
    provider_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    paid_reference = models.CharField(max_length=120, blank=True, validators=[single_line])
    paid_at = models.DateField(null=True, blank=True)

    objects = PayoutBatchQuerySet.as_manager()
    visibility = Visibility(programme="programmes", staff="money", actions={"payouts": "payouts"})

    class Meta:
        verbose_name_plural = "payout batches"

    def __str__(self):
        return f"Payout batch {self.pk} ({self.currency})"

    FORMATS = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "sepa.xml": "application/xml",
        "paypal.csv": "text/csv; charset=utf-8",
        "wise.csv": "text/csv; charset=utf-8",
    }
    PROVIDER_VARIANT = {
        Method.SEPA: "sepa.xml",
        Method.PAYPAL: "paypal.csv",
        Method.WISE: "wise.csv",
    }

    @property
    def provider_variant(self) -> str:
        return self.PROVIDER_VARIANT.get(self.method, "")

    def download(self, variant) -> Download | None:
        """The payout file in `variant` ("csv", "xlsx", or the provider's file of the batch's
        method), byte-identical on every download. The files are stored encrypted (they hold
        payees' names, emails and accounts) and opened here, as they are sent."""
        stored = {
            "csv": (self.csv_file, self.csv_sha256),
            "xlsx": (self.xlsx_file, self.xlsx_sha256),
        }
        if self.provider_variant:
            stored[self.provider_variant] = (self.provider_file, self.provider_sha256)
        file, checksum = stored.get(variant, (None, ""))
        if not file:
            return None
        try:
            with file.open("rb") as handle:
                sealed = handle.read()
        except (FileNotFoundError, ValueError):
            return None
        try:
            content = decrypt_bytes(sealed.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            # A file written before payout files were encrypted: sent only if it is intact.
            if hashlib.sha256(sealed).hexdigest() != checksum:
                return None
            content = sealed
        return Download(
            stream=(content,),
            filename=f"payout-batch-{self.pk}.{variant}",
            content_type=self.FORMATS[variant],
            checksum=checksum,
        )

    @property
    def period_label(self) -> str:
        return f"{self.period_start:%Y-%m-%d}..{self.period_end:%Y-%m-%d}"

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status != self.Status.BUILDING else 0
        return int(100 * self.rows_done / self.rows_total)


class PayoutLine(models.Model):
    """One payee's line in a batch: the sum of their entries in it.

    Its life follows the bank: sent (in the batch's file) → paid | failed | returned. A
    failed line (the provider or bank refused it) and a returned one (the money came back,
    even after it was booked) are taken out of the batch: their entries go back to approved
    and join the next batch; the line keeps the reason and the day.
    """

    class State(models.TextChoices):
        SENT = "sent", _("Sent, not settled")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        RETURNED = "returned", _("Returned")

    TRANSITIONS = {
        State.SENT: {State.PAID, State.FAILED, State.RETURNED},
        State.PAID: {State.RETURNED},
        State.FAILED: set(),
        State.RETURNED: set(),
    }
    TAKEN_OUT = (State.FAILED, State.RETURNED)
    # What its audit events bind (audit.binding): its content and its state, made by one
    # event per line (compensation.line.sent) and changed by one per settlement or take-out.
    AUDIT_BOUND_FIELDS = (
        "batch",
        "participation",
        "name",
        "email",
        "payout_reference",
        "amount",
        "currency",
        "entries_count",
        "details_masked",
        "state",
        "paid_reference",
        "paid_at",
        "outcome_reason",
        "outcome_on",
    )

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="lines")
    participation = models.ForeignKey(
        "participants.Participation", on_delete=models.PROTECT, related_name="payout_lines"
    )
    name = models.CharField(max_length=300, validators=[single_line])
    email = models.CharField(max_length=254)
    payout_reference = models.CharField(max_length=100, blank=True, validators=[single_line])
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3)
    entries_count = models.PositiveIntegerField()
    paid_reference = models.CharField(max_length=120, blank=True, validators=[single_line])
    paid_at = models.DateField(null=True, blank=True)
    # The payee's details as they were when the batch was built (encrypted, and masked for
    # the page): a later change of details never redirects money already in a batch.
    details_secret = models.CharField(max_length=2000, blank=True)
    details_masked = models.CharField(max_length=120, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SENT)
    # Why and when a line failed or came back (the provider's or bank's own words).
    outcome_reason = models.CharField(max_length=200, blank=True, validators=[single_line])
    outcome_on = models.DateField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    # The payee sees their own lines; finance and managers owe what a failed or returned
    # payment cost the payee once the payee won a contest of it (`recourse`).
    visibility = Visibility(
        programme="participation__programme_id",
        owner="participation__user",
        staff="money",
        actions={"owe_line": "money"},
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "participation"], name="one_line_per_payee")
        ]

    def __str__(self):
        return f"{self.name}: {self.amount} {self.currency}"

    def badge(self) -> tuple[str, str]:
        if self.state == self.State.PAID:
            return self.get_state_display(), "ok"
        if self.state in self.TAKEN_OUT:
            return self.get_state_display(), "warn"
        return self.get_state_display(), ""

    @property
    def line_key(self) -> str:
        """A reference that always identifies this line in a provider's file."""
        return f"{self.batch_id}-{self.participation_id}"

    @property
    def end_to_end_id(self) -> str:
        """The end-to-end reference the bank or provider carries back on its statement."""
        return f"TT-{self.line_key}"


class BankFileImport(models.Model):
    """One file finance uploaded to settle a batch (a bank statement, a status report, a
    provider's result or payment file): kept with its hash, who, when, what it did and the
    problem table, whether it was applied or refused."""

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="imports")
    what = models.CharField(max_length=80, validators=[single_line])
    sha256 = models.CharField(max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    applied = models.BooleanField(default=False)
    paid = models.PositiveIntegerField(default=0)
    taken_out = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(default=0)
    # [{"row", "reference", "problem", "amount", "currency", "booked_on", "bank_reference",
    #   "matched_line"}]: what did not settle a line, each matchable by hand later.
    problems = models.JSONField(default=list)

    class Meta:
        ordering = ["-imported_at", "-pk"]

    def __str__(self):
        return f"{self.what} for batch {self.batch_id}"


class ExchangeRate(models.Model):
    """A rate finance recorded: one `currency` is worth `rate` of `programme_currency` from
    `valid_from` on, with where the rate comes from. The two-person limit converts a payee's
    month into the programme's currency with the latest rate valid on the entry's day."""

    currency = models.CharField(max_length=3)
    programme_currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    valid_from = models.DateField()
    source = models.CharField(max_length=200, validators=[single_line])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "programme_currency", "valid_from"], name="one_rate_a_day"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="rate_is_positive"),
        ]

    def __str__(self):
        rate = f"{Decimal(self.rate).normalize():f}"
        return f"1 {self.currency} = {rate} {self.programme_currency} from {self.valid_from}"


class PayoutDetails(models.Model):
    """How a person wants to be paid: legal name, country and one method.

    Everything that identifies the account (name, IBAN, BIC, email) is stored encrypted
    (`core.encryption`, Fernet); pages show `masked`. Finance reads the details in full only
    as copied onto the lines of a batch they build (`PayoutLine.details_secret`).
    """

    class Method(models.TextChoices):
        BANK = "bank", _("Bank account (IBAN)")
        PAYPAL = "paypal", _("PayPal")
        WISE = "wise", _("Wise")

    # Which batch method pays which kind of details.
    BATCH_METHOD = {
        Method.BANK: PayoutBatch.Method.SEPA,
        Method.PAYPAL: PayoutBatch.Method.PAYPAL,
        Method.WISE: PayoutBatch.Method.WISE,
    }

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_details"
    )
    method = models.CharField(max_length=10, choices=Method.choices)
    country = models.CharField(max_length=2)
    secret = models.CharField(max_length=2000, help_text="Fernet token of the details as JSON.")
    masked = models.CharField(max_length=120)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    # The payee's own; finance pays from the exported batch, never reads them here.
    visibility = Visibility(owner="user")

    class Meta:
        verbose_name_plural = "payout details"

    def __str__(self):
        return f"{self.get_method_display()} {self.masked}"


class TaxStatus(models.Model):
    """The tax status finance holds for one payee in one programme (a W-9, a W-8BEN, an EU VAT
    self-billing agreement), with an optional copy of the signed form.

    A programme that requires one (`Programme.tax_forms`) pays a payee only while a status of
    a listed kind is valid: until then the payee's entries wait outside batches. The document
    is stored encrypted in the row (`core.encryption`, the payout-details keys) and goes out
    only to the programme's finance, through `programs.downloads`.
    """

    participation = models.OneToOneField(
        "participants.Participation", on_delete=models.PROTECT, related_name="tax_status"
    )
    kind = models.CharField(max_length=10, choices=Programme.TaxForm.choices)
    valid_until = models.DateField(null=True, blank=True)
    # A Fernet token is base64 of the document and ~60 bytes: 5 MB (the upload limit of
    # `services.tax_status_record`) makes at most 6,990,604 characters.
    document_secret = models.TextField(
        max_length=7_000_000, blank=True, help_text="Fernet token of the document."
    )
    document_type = models.CharField(max_length=60, blank=True, validators=[single_line])
    document_sha256 = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    # The payee sees that it is recorded; only the programme's finance records it or reads
    # the document, never on their own participation.
    visibility = Visibility(
        programme="participation__programme_id",
        owner="participation__user",
        staff="payouts",
        actions={"record": "payouts", "download": "payouts"},
    )

    class Meta:
        verbose_name_plural = "tax statuses"

    def __str__(self):
        return f"{self.get_kind_display()} for {self.participation}"

    def is_valid(self, on) -> bool:
        return self.valid_until is None or self.valid_until >= on

    EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}

    def download(self, variant=None) -> Download | None:

        if not self.document_secret:
            return None
        ext = self.EXTENSIONS.get(self.document_type, "bin")
        return Download(
            content=decrypt_bytes(self.document_secret),
            filename=f"tax-status-{self.participation_id}-{self.kind}.{ext}",
            content_type=self.document_type or "application/octet-stream",
            checksum=self.document_sha256,
        )
