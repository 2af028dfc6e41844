"""Forms of contests: the tester's contest and the staff's written answer."""

from django import forms

from core.db import limit
from core.forms import SubmitOnce

from .models import Contest


class ContestForm(SubmitOnce, forms.Form):
    reason = forms.ChoiceField(label="Why the decision is wrong")
    text = forms.CharField(
        label="Explain", widget=forms.Textarea(attrs={"rows": 5}), max_length=limit(Contest, "text")
    )
    evidence = forms.CharField(
        label="Evidence (links, steps, what you saw)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limit(Contest, "evidence"),
    )

    def __init__(self, *args, reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reasons


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("upheld", "Uphold: change the decision"), ("dismissed", "Dismiss: it stands")],
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label="Written answer (the tester reads it)",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=limit(Contest, "answer"),
    )

    def __init__(self, *args, fee=False, **kwargs):
        super().__init__(*args, **kwargs)
        if fee:
            self.fields["owed"] = forms.DecimalField(
                label="If upheld: the fee the terms promise (the difference is paid)",
                max_digits=12,
                decimal_places=2,
                min_value=0,
                required=False,
            )
