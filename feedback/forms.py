"""Forms of the portal and the staff queues. They collect input; services decide."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.db import limit
from core.forms import SubmitOnce
from core.uploads import TEXT_LOG_EXTENSIONS
from participants.selectors import working_programmes
from programs.models import Programme

from .models import Severity, Ticket, TicketComment


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; their content is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


ATTACHMENT_HELP = format_lazy(
    _(
        "Screenshots (PNG, JPEG, GIF, WebP), videos (MP4, WebM, MOV) or plain-text logs "
        "({extensions}). Files are checked by their content."
    ),
    extensions=", ".join(sorted(TEXT_LOG_EXTENSIONS)),
)


class TicketForm(SubmitOnce, forms.Form):
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.none())
    kind = forms.ChoiceField(choices=Ticket.Kind.choices, label=_("Kind of ticket"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=limit(Ticket, "description"),
    )
    steps_to_reproduce = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Steps to reproduce"),
        max_length=limit(Ticket, "steps_to_reproduce"),
    )
    expected_result = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("What you expected"),
        max_length=limit(Ticket, "expected_result"),
    )
    actual_result = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("What happened instead"),
        max_length=limit(Ticket, "actual_result"),
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=[("", "—"), *Severity.choices],
        required=False,
        help_text=_("Required for bugs and safety findings; leave empty otherwise."),
    )
    attachments = MultipleFileField(label=_("Attachments"), help_text=ATTACHMENT_HELP)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = working_programmes(user)


class CommentForm(SubmitOnce, forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=limit(TicketComment, "body"),
    )
    internal = forms.BooleanField(
        required=False,
        label=_("Internal note (staff only; the reporter does not see it)"),
    )
    attachments = MultipleFileField(label=_("Attachments"), help_text=ATTACHMENT_HELP)

    INTERNAL_REFUSED = _(
        "Internal notes are for the programme's reviewers and managers, and never on a "
        "ticket you reported. Nothing was posted: untick “internal” to send it as a comment "
        "the reporter reads."
    )

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["internal"]
        # A note meant to be internal, sent by someone who may not write one (a page from
        # before a role changed, a reporter who also reviews, a hand-made post), is refused:
        # saving it as a public comment would show the reporter what was meant for staff.
        self._internal_refused = not staff and self.data.get("internal") not in (
            None,
            "",
            "0",
            "false",
            "off",
        )

    def clean(self):
        cleaned = super().clean()
        if self._internal_refused:
            raise forms.ValidationError(self.INTERNAL_REFUSED, code="internal_refused")
        return cleaned


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    duplicate_of = forms.IntegerField(
        required=False, min_value=1, label=_("Duplicate of ticket number")
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Note to the reporter"),
        help_text=_("Required when asking for more info."),
    )


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(choices=[], required=False, label=_("Assign to"))

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            ("", _("Nobody")),
            *[(str(u.pk), u.email) for u in staff],
        ]


class BulkTriageForm(forms.Form):
    """The action bar of the triage queue, applied to the ticked tickets."""

    KEEP = "keep"
    NOBODY = "nobody"

    status = forms.ChoiceField(required=False, label=_("Set status"))
    # An absent or empty choice keeps each ticket's assignee: setting a status on several
    # tickets must never unassign them unless "Nobody" is chosen.
    assignee = forms.ChoiceField(required=False, label=_("Set assignee"), initial=KEEP)
    note = forms.CharField(required=False, label=_("Note to the reporters"), max_length=2000)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", pgettext_lazy("leave as it is", "keep")),
            *[c for c in Ticket.Status.choices if c[0] != Ticket.Status.DUPLICATE],
        ]
        self.fields["assignee"].choices = [
            (self.KEEP, pgettext_lazy("leave as it is", "keep")),
            (self.NOBODY, _("Nobody (unassign)")),
            *[(str(u.pk), u.email) for u in staff],
        ]
