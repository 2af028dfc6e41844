from django import forms

from core.forms import SubmitOnce


class TokenForm(SubmitOnce, forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="e.g. “my test script”")
    scope = forms.ChoiceField(
        label="Access",
        choices=[("read", "Read only"), ("write", "Read and write")],
        initial="read",
    )


class ServiceTokenForm(SubmitOnce, forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, help_text="e.g. “training pipeline of the model team”"
    )
