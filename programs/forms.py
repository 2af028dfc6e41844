from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import currencies
from core.forms import DateInput

from .models import Programme, ProgrammeRole, TermsVersion
from .services import PAY_MODEL_FIELDS


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "name",
            "slug",
            "product",
            "summary",
            "currency",
            "reference_hourly_rate",
            "approval_threshold",
            "holiday_calendar",
            "default_language",
        ]
        labels = {
            "name": _("Name"),
            "slug": _("Address"),
            "product": _("Product"),
            "summary": _("Summary"),
            "currency": _("Currency"),
            "reference_hourly_rate": _("Reference hourly rate"),
            "approval_threshold": _("Two-person approval threshold"),
            "holiday_calendar": _("Holiday calendar"),
            "default_language": _("Default language"),
        }
        help_texts = {
            "slug": _("The address of the public page: /programmes/<slug>/."),
            "product": _("The product under test."),
            "reference_hourly_rate": _(
                "Stated rate used to estimate the value of unpaid hours on the public page."
            ),
            "approval_threshold": _(
                "Ledger entries above this amount need two different approvers. Once set, a "
                "change or removal takes effect when another manager confirms it."
            ),
            "holiday_calendar": _(
                "Country code whose public holidays are not business days (FR, DE, GB, US…); "
                "empty: weekends only."
            ),
            "default_language": _(
                "Its pages' language for a reader whose browser asks for none we offer; "
                "empty: English."
            ),
        }

    def _not_negative(self, name):
        value = self.cleaned_data.get(name)
        if value is not None and value < 0:
            raise forms.ValidationError(_("This cannot be negative."))
        return value

    def clean_reference_hourly_rate(self):
        return self._not_negative("reference_hourly_rate")

    def clean_approval_threshold(self):
        return self._not_negative("approval_threshold")

    def clean_currency(self):
        value = currencies.normalise(self.cleaned_data["currency"])
        currencies.validate_currency(value)
        return value


class ProgrammeSettingsForm(ProgrammeForm):
    class Meta(ProgrammeForm.Meta):
        fields = [f for f in ProgrammeForm.Meta.fields if f != "slug"]


# The terms editor's sections, in the order a tester reads the deal. Each field is in exactly
# one; the pay fields that only one pay model uses are drawn in that model's own fieldset.
TERMS_SECTIONS = (
    ("version", _("This version"), ("change_summary", "material_change")),
    ("labour", _("Labour"), ("expected_activities", "expected_hours_per_week")),
    (
        "pay",
        pgettext_lazy("noun", "Pay"),
        (
            "pay_model",
            "currency",
            "other_currencies",
            "hourly_floor",
            "payment_schedule",
            "tax_forms",
            "in_kind_benefits",
        ),
    ),
    (
        "approval",
        _("Output approval"),
        ("approval_scope", "review_deadline_hours", "on_missed_deadline", "appeals_allowed"),
    ),
    (
        "confidentiality",
        _("Confidentiality"),
        ("nda", "nda_public_scope", "nda_until", "nda_until_text"),
    ),
    (
        "use",
        _("Use of participants' work"),
        (
            "training_use",
            "credit_attribution",
            "promotional_use",
            "promotion_fee",
            "promotion_credit",
        ),
    ),
    (
        "participation",
        _("Participation"),
        ("voluntary", "right_to_withdraw", "notice_period_days", "pause_policy"),
    ),
    (
        "response",
        _("Response targets (business days of the programme's holiday calendar)"),
        ("first_response_days", "triage_days", "contest_days", "payment_days"),
    ),
    ("text", _("Full text"), ("body", "passages_agree")),
)
BOUNTY_FIELDS = tuple(f"bounty_{severity}" for severity in TermsVersion.SEVERITIES)


def pay_model_form_fields(pay_model: str) -> tuple[str, ...]:
    """The editor's fields that only `pay_model` uses (the bounty table is four amounts)."""
    names = PAY_MODEL_FIELDS.get(pay_model, ())
    return tuple(
        n for name in names for n in (BOUNTY_FIELDS if name == "bounty_table" else (name,))
    )


class TermsForm(forms.ModelForm):
    """The terms editor, in sections (`TERMS_SECTIONS`), one fieldset per pay model.

    The bounty table is four amount fields, one per severity. The fields of the pay models
    not chosen are ignored: an error in them is dropped and their value cleared, as
    `check_terms` would clear it, so a rate typed for another model never blocks a save.
    """

    expected_activities = forms.MultipleChoiceField(
        label=_("Expected activities"),
        choices=TermsVersion.Activity.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    other_currencies = forms.CharField(
        label=_("Also pays in"),
        required=False,
        max_length=200,
        help_text=TermsVersion._meta.get_field("other_currencies").help_text,
    )
    tax_forms = forms.MultipleChoiceField(
        label=_("Tax form required before payment"),
        choices=Programme.TaxForm.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Pay earned under this version is paid once the tester has sent one of these "
            "(they upload it in the product; finance is told). Pay earned before is never held. "
            "Adding one is a material change, worse for the tester."
        ),
    )
    bounty_low = forms.DecimalField(label=_("Bounty: low"), required=False, min_value=0)
    bounty_medium = forms.DecimalField(label=_("Bounty: medium"), required=False, min_value=0)
    bounty_high = forms.DecimalField(label=_("Bounty: high"), required=False, min_value=0)
    bounty_critical = forms.DecimalField(label=_("Bounty: critical"), required=False, min_value=0)
    # Not a term: the manager's word when publishing (services.check_passages).
    passages_agree = forms.BooleanField(
        label=_("The structured terms say the same as the passages of the full text shown above"),
        required=False,
        help_text=_(
            "Needed to publish while a new passage of the full text speaks of training, "
            "promotion, licences or the like and the terms it touches did not change."
        ),
    )

    class Meta:
        model = TermsVersion
        # The deal's own fields, in their order; the bounty table is edited as four amounts.
        fields = ["change_summary", "material_change"] + [
            f for f in TermsVersion.TERMS_FIELDS if f not in ("bounty_table", "material_change")
        ]
        widgets = {
            "nda_until": DateInput(),
            "body": forms.Textarea(attrs={"rows": 10}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An editor that leaves publicity out keeps what the draft says (copied from the
        # version before): never a silent change of the deal.
        self.fields["promotional_use"].required = False
        if self.instance and self.instance.other_currencies:
            self.initial["other_currencies"] = ", ".join(self.instance.other_currencies)
        table = (self.instance.bounty_table or {}) if self.instance else {}
        for severity in TermsVersion.SEVERITIES:
            if table.get(severity) not in (None, ""):
                self.fields[f"bounty_{severity}"].initial = Decimal(str(table[severity]))

    def sections(self) -> list[dict]:
        """The fieldsets to draw: each section's fields, and under Pay one per pay model."""
        drawn = []
        for key, legend, names in TERMS_SECTIONS:
            section = {"key": key, "legend": legend, "fields": [self[n] for n in names]}
            if key == "pay":
                section["models"] = [
                    {
                        "value": value,
                        "legend": _("%(model)s: its terms") % {"model": label},
                        "fields": [self[n] for n in pay_model_form_fields(value)],
                    }
                    for value, label in TermsVersion.PayModel.choices
                    if pay_model_form_fields(value)
                ]
            drawn.append(section)
        return drawn

    def clean(self):
        cleaned = super().clean()
        pay_model = cleaned.get("pay_model")
        if pay_model:
            used = pay_model_form_fields(pay_model)
            for model in PAY_MODEL_FIELDS:
                for name in pay_model_form_fields(model):
                    if name not in used:
                        self._errors.pop(name, None)
                        cleaned[name] = self.fields[name].to_python("")
        table = {}
        for severity in TermsVersion.SEVERITIES:
            amount = cleaned.get(f"bounty_{severity}")
            if amount is not None:
                table[severity] = str(amount)
        cleaned["bounty_table"] = table
        return cleaned

    def clean_other_currencies(self):
        """ "usd, GBP" → ["GBP", "USD"]; nothing → None (the terms name one currency)."""
        text = self.cleaned_data.get("other_currencies") or ""
        codes = sorted({currencies.normalise(c) for c in text.replace(";", ",").split(",")} - {""})
        for code in codes:
            if not currencies.is_currency(code):
                raise forms.ValidationError(currencies.MESSAGE.format(code=code))
        return codes or None

    def clean_promotional_use(self):
        value = self.cleaned_data.get("promotional_use")
        return value or self.instance.promotional_use or TermsVersion.PromotionalUse.NO

    def terms_values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["bounty_table"] = self.cleaned_data["bounty_table"]
        return values


class RoleForm(forms.Form):
    email = forms.EmailField(label=_("Email of an existing account"))
    role = forms.ChoiceField(label=_("Role"), choices=ProgrammeRole.Role.choices)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[c for c in Programme.Status.choices if c[0] != Programme.Status.PAUSED],
    )
