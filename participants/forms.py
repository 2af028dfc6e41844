from django import forms

from .models import Application


class ConsentForm(forms.Form):
    terms_hash = forms.CharField(widget=forms.HiddenInput)
    accept = forms.BooleanField(
        label="I have read these terms and accept them",
        error_messages={"required": "Tick the box to accept the terms, or leave this page."},
    )


class ApplicationForm(forms.ModelForm):
    portfolio_url = forms.URLField(label="Portfolio link", required=False, assume_scheme="https")

    class Meta:
        model = Application
        fields = ["motivation", "portfolio_url"]
        labels = {"motivation": "Why do you want to take part?", "portfolio_url": "Portfolio link"}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason (the person will read it)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
