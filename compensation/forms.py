"""Forms of the finance pages. They check shapes; the services check the rules."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import currencies
from core.forms import DateField, DateInput, SubmitOnce
from participants.models import Participation
from programs.models import Programme

from .bankfiles import SEPA_VERSIONS
from .models import LedgerEntry, PayoutBatch, PayoutDetails
from .selectors import finance_programmes

DATE = DateInput()  # ISO values: a date input given `07/12/2026` shows blank


class CurrencyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("min_length", 3)
        super().__init__(**kwargs)

    def clean(self, value):
        value = currencies.normalise(super().clean(value))
        currencies.validate_currency(value)
        return value


class AwardForm(SubmitOnce, forms.Form):
    """A prize or grant a manager awards to one participant, with the reason they will read."""

    programme = forms.ModelChoiceField(label=_("Programme"), queryset=None)
    participant_email = forms.EmailField(label=_("Participant's email"))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k.value, k.label) for k in LedgerEntry.MANUAL_KINDS],
        initial=LedgerEntry.Kind.PRIZE,
    )
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("-9999999999.99")
    )
    currency = CurrencyField(label=_("Currency"), initial="EUR")
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea,
        max_length=250,
        help_text=_("The participant reads this."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = finance_programmes(user, "manage")

    def clean(self):
        data = super().clean()
        programme, email = data.get("programme"), data.get("participant_email")
        if programme and email:
            participation = Participation.objects.filter(
                programme=programme, user__email__iexact=email
            ).first()
            if participation is None:
                self.add_error(
                    "participant_email", _("Nobody with that email is in this programme.")
                )
            data["participation"] = participation
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=250, widget=forms.TextInput)


class BatchForm(forms.Form):
    """Which approved entries go into a new export batch."""

    programmes = forms.ModelMultipleChoiceField(
        label=_("Programmes"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    period_start = DateField(label=_("From (earned on or after)"), widget=DATE)
    period_end = DateField(label=_("To (earned on or before)"), widget=DATE)
    currency = CurrencyField(label=_("Currency"), initial="EUR")
    method = forms.ChoiceField(
        choices=PayoutBatch.Method.choices,
        initial=PayoutBatch.Method.FILE,
        required=False,
        label=_("Paid by"),
        help_text=_(
            "One batch per currency and method: a SEPA, PayPal or Wise batch takes the "
            "payees whose payout details name that method."
        ),
    )
    sepa_version = forms.ChoiceField(
        choices=[(v, v) for v in SEPA_VERSIONS],
        initial=SEPA_VERSIONS[0],
        required=False,
        label=_("SEPA file version"),
        help_text=_(
            "pain.001.001.09 is the version of the current SEPA rulebook; choose "
            "pain.001.001.03 only for a bank that still asks for it."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programmes"].queryset = finance_programmes(user, "payouts")
        today = timezone.localdate()
        self.initial.setdefault("period_start", today.replace(day=1).replace(year=today.year - 1))
        self.initial.setdefault("period_end", today)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", _("The end must be on or after the start."))
        data["method"] = data.get("method") or PayoutBatch.Method.FILE
        data["sepa_version"] = data.get("sepa_version") or SEPA_VERSIONS[0]
        return data


class MarkPaidForm(forms.Form):
    reference = forms.CharField(max_length=120, label=_("Payment reference"))
    paid_on = DateField(label=_("Paid on"), widget=DATE, initial=timezone.localdate)


class ReconcileForm(forms.Form):
    file = forms.FileField(
        label=_("Payment provider's CSV"),
        help_text=_(
            "Columns reference, amount, date (YYYY-MM-DD). The reference is the payee's "
            "payout reference or the line key shown below."
        ),
    )


class StatementForm(forms.Form):
    """What the bank or provider says was paid: camt.053 for SEPA, PayPal's result CSV, Wise's
    statement CSV. The label follows the batch's method."""

    LABELS = {
        "sepa": (_("Bank statement (camt.053 XML)"), _("The statement of the payout account.")),
        "paypal": (
            _("PayPal Payouts result file (CSV)"),
            _(
                "The batch's report from PayPal: Reference ID, Status, Amount, Currency, Date, "
                "Transaction ID."
            ),
        ),
        "wise": (
            _("Wise statement (CSV)"),
            _(
                "The statement of the Wise balance the batch was paid from: TransferWise ID, "
                "Date, Amount, Currency, Payment Reference."
            ),
        ),
    }

    file = forms.FileField(label=_("Bank statement (camt.053 XML)"))

    def __init__(self, *args, method: str = "sepa", **kwargs):
        super().__init__(*args, **kwargs)
        label, help_text = self.LABELS.get(method, self.LABELS["sepa"])
        self.fields["file"].label = label
        self.fields["file"].help_text = _(
            "%(what)s Each payment is matched by its end-to-end reference (TT-batch-payee)."
        ) % {"what": help_text}


class PayoutDetailsForm(forms.Form):
    """How a participant wants to be paid. The service validates IBAN, BIC, country, email."""

    legal_name = forms.CharField(
        max_length=140, label=_("Legal name"), help_text=_("As your bank or provider knows it.")
    )
    country = forms.CharField(
        max_length=2,
        min_length=2,
        label=_("Country"),
        help_text=_("Where you live, two letters: DE, FR, US…"),
    )
    method = forms.ChoiceField(
        label=_("Method"), choices=PayoutDetails.Method.choices, widget=forms.RadioSelect
    )
    iban = forms.CharField(
        max_length=42, required=False, label=_("IBAN"), help_text=_("Bank only.")
    )
    bic = forms.CharField(
        max_length=11, required=False, label=_("BIC"), help_text=_("Bank only; optional in SEPA.")
    )
    email = forms.EmailField(
        required=False, label=_("PayPal or Wise email"), help_text=_("PayPal and Wise only.")
    )


class TaxStatusForm(forms.Form):
    """The tax status finance records for one payee; the service checks the rules."""

    kind = forms.ChoiceField(label=_("Tax status"), choices=Programme.TaxForm.choices)
    valid_until = DateField(
        label=_("Valid until"), required=False, help_text=_("Leave empty if it does not expire.")
    )
    document = forms.FileField(
        required=False,
        label=_("Signed form (PDF, PNG or JPEG, optional)"),
        help_text=_(
            "Stored encrypted; only this programme's finance can download it. "
            "Leave empty to keep the document already held."
        ),
    )

    def __init__(self, *args, forms: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        if forms:
            self.fields["kind"].choices = [(k, Programme.TaxForm(k).label) for k in forms]


class TaxFormSendForm(forms.Form):
    """The payee sends the tax form their terms ask for; the service checks the rules."""

    kind = forms.ChoiceField(label=_("Form"), choices=Programme.TaxForm.choices)
    valid_until = DateField(
        label=_("Valid until"), required=False, help_text=_("Leave empty if it does not expire.")
    )
    document = forms.FileField(
        label=_("The signed form (PDF, PNG or JPEG, at most 5 MB)"),
        help_text=_("Stored encrypted; only this programme's finance team can download it."),
    )

    def __init__(self, *args, forms: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        if forms:
            self.fields["kind"].choices = [(k, Programme.TaxForm(k).label) for k in forms]


class RateForm(forms.Form):
    """One exchange rate: what one unit of a currency is worth in a programme's currency."""

    currency = CurrencyField(label=_("One unit of"))
    programme_currency = CurrencyField(label=_("Is worth, in"), initial="EUR")
    rate = forms.DecimalField(
        label=_("Rate"), max_digits=18, decimal_places=8, min_value=Decimal("0.00000001")
    )
    valid_from = DateField(label=_("Valid from"), widget=DATE)
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        help_text=_("Where the figure comes from (e.g. ECB reference rate of that day)."),
    )
