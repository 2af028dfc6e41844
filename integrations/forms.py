from django import forms

from core.forms import SubmitOnce

from .models import WebhookEndpoint


class WebhookForm(SubmitOnce, forms.Form):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.Event.choices, widget=forms.CheckboxSelectMultiple
    )
