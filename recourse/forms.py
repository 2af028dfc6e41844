"""Forms of contests: the tester's contest and the staff's written answer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.db import limit
from core.forms import SubmitOnce
from programs.models import Programme

from .models import Contest

# The amount a won contest owes, by the kind of decision contested (none for the others).
OWED_LABELS = {
    Contest.Kind.FEE: _("If upheld: the fee the terms promise (the difference is paid)"),
    Contest.Kind.AWARD: _("If upheld: the award the terms promise (it is made now)"),
    Contest.Kind.PAYOUT: _(
        "If upheld: what the failed payment cost the tester (bank charges, a shortfall); "
        "it is owed to them"
    ),
}


class ContestForm(SubmitOnce, forms.Form):
    reason = forms.ChoiceField(label=_("Why the decision is wrong"))
    text = forms.CharField(
        label=_("Explain"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=limit(Contest, "text"),
    )
    evidence = forms.CharField(
        label=_("Evidence (links, steps, what you saw)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limit(Contest, "evidence"),
    )

    def __init__(self, *args, reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reasons


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("upheld", _("Uphold: change the decision")),
            ("dismissed", _("Dismiss: it stands")),
        ],
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label=_("Written answer (the tester reads it)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=limit(Contest, "answer"),
    )

    def __init__(self, *args, kind=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kind in OWED_LABELS:
            self.fields["owed"] = forms.DecimalField(
                label=OWED_LABELS[kind],
                max_digits=12,
                decimal_places=2,
                min_value=0,
                required=False,
            )


class ContestReasonForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.none(), empty_label=None
    )
    label = forms.CharField(
        label=_("Reason"), max_length=120, help_text=_("What testers read and choose.")
    )
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("Short code; made from the label if left empty."),
    )

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
