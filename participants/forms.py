from django import forms
from django.utils.translation import gettext_lazy as _

from core.dates import validate_in_range
from core.forms import DateTimeInput, SubmitOnce

from .models import Application


def hashes(value: str) -> list[str]:
    """The hashes of the coming versions a page showed, from its hidden field."""
    return [h for h in (value or "").split(",") if h]


class ConsentForm(forms.Form):
    terms_hash = forms.CharField(widget=forms.HiddenInput)
    # The versions published but not yet in force that the screen showed beside these terms.
    coming_hashes = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)
    # The text shown: its language and the sha256 of exactly that text (binding or translation).
    # Absent (a client posting by hand, as the API does): the binding text.
    shown_language = forms.CharField(widget=forms.HiddenInput, max_length=10, required=False)
    shown_hash = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    accept = forms.BooleanField(
        label=_("I have read these terms and accept them"),
        error_messages={"required": _("Tick the box to accept the terms, or leave this page.")},
    )


class ApplicationForm(SubmitOnce, forms.ModelForm):
    portfolio_url = forms.URLField(label=_("Portfolio link"), required=False, assume_scheme="https")

    class Meta:
        model = Application
        fields = ["motivation", "portfolio_url"]
        labels = {
            "motivation": _("Why do you want to take part?"),
            "portfolio_url": _("Portfolio link"),
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


# --- Staff ---------------------------------------------------------------------------------


class InviteForm(forms.Form):
    emails = forms.CharField(
        label=_("Email addresses"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20_000,
        help_text=_("One or many, separated by new lines, commas or spaces."),
    )
    days_valid = forms.IntegerField(
        label=_("Link valid for (days)"), min_value=1, max_value=90, initial=14
    )


class InviteCsvForm(SubmitOnce, forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "A header line, then one address a line: column email, optionally name. "
            "At most 500 addresses and 256 KB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    days_valid = forms.IntegerField(
        label=_("Links valid for (days)"), min_value=1, max_value=90, initial=14
    )


class ExtendForm(forms.Form):
    days = forms.IntegerField(label=_("New expiry, days from now"), min_value=1, max_value=90)


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the applicant will read it)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )


class PauseForm(SubmitOnce, forms.Form):
    reason = forms.CharField(
        label=_("Reason (the participants will read it)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
    expected_end = forms.DateTimeField(
        validators=[validate_in_range],
        label=_("Expected end (UTC)"),
        required=False,
        widget=DateTimeInput(),
    )
