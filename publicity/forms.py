from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateField, SubmitOnce

from .models import Competition, PromotionalUse


class UseRequestForm(SubmitOnce, forms.Form):
    """A manager's request to use an approved output in promotion."""

    channel = forms.ChoiceField(label=_("Channel"), choices=PromotionalUse.Channel.choices)
    period_start = DateField(
        label=_("Period start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = DateField(label=_("Period end"), widget=forms.DateInput(attrs={"type": "date"}))
    territory = forms.CharField(
        label=_("Territory"),
        max_length=120,
        help_text=_("Where it will be shown, e.g. worldwide."),
    )
    credit_line = forms.CharField(
        label=_("Credit line"),
        max_length=200,
        required=False,
        help_text=_("How the tester is credited, as it will read."),
    )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Answer"), choices=[("accept", _("Accept")), ("decline", _("Decline"))]
    )


class CreditNameForm(forms.Form):
    """How the tester wants to be named in one programme."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        required=False,
        help_text=_("How competition results show you, e.g. a first name or a handle."),
    )
    credit_name = forms.CharField(
        label=_("Credit name"),
        max_length=120,
        required=False,
        help_text=_("How credit lines and the public proof pages of your outputs name you."),
    )
    unnamed = forms.BooleanField(
        required=False, label=_("Stay unnamed: do not show any name of mine anywhere")
    )


class TrainingForm(forms.Form):
    allowed = forms.TypedChoiceField(
        label=_("Allowed"),
        choices=[("yes", _("May be used for training")), ("no", _("Not used for training"))],
        coerce=lambda v: v == "yes",
    )


class CompetitionForm(SubmitOnce, forms.ModelForm):
    class Meta:
        model = Competition
        fields = [
            "title",
            "criteria",
            "prize_count",
            "prize_amount",
            "currency",
            "judges",
            "entry_deadline",
            "results_by",
        ]
        labels = {
            "title": _("Title"),
            "criteria": _("Criteria"),
            "prize_count": _("Prize count"),
            "prize_amount": _("Prize amount"),
            "currency": _("Currency"),
            "judges": _("Judges"),
            "entry_deadline": _("Entry deadline"),
            "results_by": _("Results by"),
        }
        help_texts = {
            "prize_amount": _("Paid to each winner."),
            "judges": _("Who judges."),
            "results_by": _("When the results will be published."),
        }
        widgets = {
            "entry_deadline": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "results_by": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }


class EnterForm(forms.Form):
    submission = forms.ModelChoiceField(queryset=None, label=_("Your output"))

    def __init__(self, *args, submissions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission"].queryset = submissions


class ResultsForm(forms.Form):
    winners = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, entries=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["winners"].queryset = entries
