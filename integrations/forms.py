from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import SubmitOnce

from .models import WebhookEndpoint


class WebhookForm(SubmitOnce, forms.Form):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple,
    )
