"""Forms of the labour log and the hours queue. They collect input; services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.db import limit
from core.forms import DateField, MinutesField, SubmitOnce
from participants.selectors import hours_programmes
from programs.models import Programme

from .models import TimeEntry


class TimeEntryForm(SubmitOnce, forms.Form):
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.none())
    date = DateField(label=_("Date"))
    minutes = MinutesField(
        label=_("Time worked"),
        max_value=TimeEntry.MAX_MINUTES_PER_DAY,
        help_text=_("Minutes (90), hours and minutes (1:30) or hours (1.5 h)."),
    )
    activity = forms.ChoiceField(label=_("Activity"), choices=TimeEntry.Activity.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limit(TimeEntry, "note"),
    )
    ticket = forms.IntegerField(required=False, min_value=1, label=_("Ticket number (optional)"))

    def __init__(self, *args, user, editing: bool = False, disputed: bool = False, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = hours_programmes(user)
        if editing:
            del self.fields["programme"]
        if disputed:
            self.fields["answer"] = forms.CharField(
                label=_("Your answer to the dispute"),
                widget=forms.Textarea(attrs={"rows": 3}),
                max_length=limit(TimeEntry, "dispute_answer"),
                help_text=_("The reviewer reads it with the corrected entry."),
            )


class HoursReviewForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Reason for a dispute (the participant reads it)"),
    )
