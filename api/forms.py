from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import SubmitOnce


class TokenForm(SubmitOnce, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. “my test script”"))
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=[("read", _("Read only")), ("write", _("Read and write"))],
        initial="read",
    )


class ServiceTokenForm(SubmitOnce, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("e.g. “training pipeline of the model team”")
    )
