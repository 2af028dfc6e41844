"""Forms of the approval pages. They shape input; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.db import limit
from core.forms import DateField, SubmitOnce
from programs.models import Programme

from .models import OutputSubmission, ReasonCode, ReviewDecision


class SubmissionForm(SubmitOnce, forms.Form):
    """A new output, or a new version of one. Exactly one of a file or a URL."""

    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    upload = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("An image or a video. Its type is checked by its content, not its name."),
    )
    url = forms.URLField(
        label=_("Or a URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the output can be seen, if you do not upload a file."),
    )
    prompt = forms.CharField(
        label=_("Prompt used"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=limit(OutputSubmission, "prompt"),
    )
    intended_use = forms.ChoiceField(
        label=_("Intended use"), choices=OutputSubmission.IntendedUse.choices
    )
    intended_venue = forms.CharField(
        label=_("Where (venue, account, publication)"), max_length=200, required=False
    )
    intended_date = DateField(
        label=_("When"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, programmes=None, **kwargs):
        super().__init__(*args, **kwargs)
        if programmes is None:
            del self.fields["programme"]
        else:
            self.fields["programme"].queryset = programmes

    def clean(self):
        data = super().clean()
        if bool(data.get("upload")) == bool(data.get("url")):
            raise forms.ValidationError(_("Give either a file or a URL (exactly one of the two)."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "upload": data.get("upload"),
            "url": data.get("url") or "",
            "prompt": data.get("prompt", ""),
            "intended_use": data["intended_use"],
            "intended_venue": data.get("intended_venue", ""),
            "intended_date": data.get("intended_date"),
        }


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ReviewDecision.Outcome.APPROVED.value, pgettext_lazy("verb", "Approve")),
            (ReviewDecision.Outcome.REJECTED.value, pgettext_lazy("verb", "Reject")),
            (ReviewDecision.Outcome.CHANGES_REQUESTED.value, _("Request changes")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.ModelChoiceField(
        label=_("Reason"),
        queryset=ReasonCode.objects.none(),
        required=False,
        empty_label=_("— choose a reason (required unless approving) —"),
    )
    note = forms.CharField(
        label=_("Note to the participant"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )

    def __init__(self, *args, submission: OutputSubmission, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = ReasonCode.objects.filter(
            programme_id=submission.programme_id, active=True
        ).order_by("label")
        if submission.status == OutputSubmission.Status.APPEALED:
            self.fields["outcome"].choices = [
                (ReviewDecision.Outcome.APPROVED.value, _("Approve (appeal upheld)")),
                (ReviewDecision.Outcome.REJECTED.value, _("Reject (the rejection stands)")),
            ]

    def clean(self):
        data = super().clean()
        if data.get("outcome") and data["outcome"] != "approved" and not data.get("reason"):
            self.add_error(
                "reason", _("Choose a reason: it is required for anything but an approval.")
            )
        return data


class AppealForm(forms.Form):
    note = forms.CharField(
        label=_("Why should the decision change?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )


class ReasonCodeForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.none(), empty_label=None
    )
    label = forms.CharField(
        max_length=120, label=_("Label"), help_text=_("What participants will read.")
    )
    code = forms.SlugField(
        max_length=40,
        required=False,
        label=_("Code"),
        help_text=_("Short code; made from the label if left empty."),
    )

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
