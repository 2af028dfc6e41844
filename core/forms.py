"""How form widgets are drawn (Jinja2 first), the token that makes a create form create once,
and the one way a page shows a service's refusal (`refusal_shown_on`)."""

import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.shortcuts import redirect
from django.template import TemplateDoesNotExist
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from .dates import validate_in_range
from .errors import DomainError
from .services import submit_once


class FormRenderer(BaseRenderer):
    """Django's widget templates in their Jinja2 form (django/forms/jinja2/), which render
    faster than the Django template engine (the review queue's row in the benchmark). A
    widget whose template exists only for the Django engine (django-filter's range widget) is
    drawn by that engine.

    Django ships both renderers but not this fallback between them, hence these lines.
    """

    def __init__(self):
        self.fast, self.full = Jinja2(), DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.fast.get_template(template_name)
        except TemplateDoesNotExist:
            return self.full.get_template(template_name)


class DateInput(forms.DateInput):
    """The browser's date picker. Its value must be ISO (`2026-11-28`): a `type=date` input
    given the locale's `28/11/2026` shows blank, and a form sent back would lose the date."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker, with the ISO value it needs (`2026-11-28T09:30`)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateField(forms.DateField):
    """A date within the range the product accepts (`core.dates`), with the date picker."""

    widget = DateInput
    default_validators = [validate_in_range]


_HOURS_MINUTES = re.compile(r"^(\d{1,2}):([0-5]\d)$")
_HOURS = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:h|hr|hrs|hour|hours)$")
_H_AND_M = re.compile(r"^(\d+)\s*h\s*(\d+)\s*(?:m|min|mins|minutes)?$")
_MINUTES = re.compile(r"^(\d+)\s*(?:m|min|mins|minutes)?$")


class MinutesField(forms.CharField):
    """Time worked, as people write it: `90`, `90 min`, `1:30`, `1.5 h`, `1,5h` or `1h 30`.

    Cleans to whole minutes; a bare number is minutes (as the field always took)."""

    default_error_messages = {
        "invalid": _("Write the time as minutes (90), hours and minutes (1:30) or hours (1.5 h)."),
        "whole": _("That is not a whole number of minutes; round it (1.25 h is 75 minutes)."),
    }

    def __init__(self, *, min_value=1, max_value=None, **kwargs):
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)
        self.widget.attrs.update({"maxlength": "20", "inputmode": "decimal"})

    def to_python(self, value):
        text = super().to_python(value).strip().lower()
        if text in self.empty_values:
            return None
        if len(text) > 20:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if m := _HOURS_MINUTES.match(text):
            return int(m[1]) * 60 + int(m[2])
        if m := _H_AND_M.match(text):
            return int(m[1]) * 60 + int(m[2])
        if m := _MINUTES.match(text):
            return int(m[1])
        if m := _HOURS.match(text):
            try:
                minutes = Decimal(m[1].replace(",", ".")) * 60
            except InvalidOperation as exc:
                raise forms.ValidationError(self.error_messages["invalid"], "invalid") from exc
            if minutes != minutes.to_integral_value():
                raise forms.ValidationError(self.error_messages["whole"], "whole")
            return int(minutes)
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if self.min_value is not None and value < self.min_value:
            raise forms.ValidationError(
                ngettext(
                    "Log at least %(n)d minute.", "Log at least %(n)d minutes.", self.min_value
                )
                % {"n": self.min_value},
                "min_value",
            )
        if self.max_value is not None and value > self.max_value:
            hours = self.max_value // 60
            raise forms.ValidationError(
                gettext("At most %(minutes)d minutes (%(hours)d h) can be logged for one day.")
                % {"minutes": self.max_value, "hours": hours},
                "max_value",
            )

    def prepare_value(self, value):
        # An entry being edited shows its minutes as the person would write them.
        if isinstance(value, int) and not isinstance(value, bool):
            hours, minutes = divmod(value, 60)
            return f"{hours}:{minutes:02d}" if hours else str(minutes)
        return value


def add_domain_error(form, exc) -> None:
    """Show a service's refusal (`core.errors.DomainError`) on the form: under the field it
    names, or at the top when it names none the form has."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@dataclass
class Refusal:
    """What `refusal_shown_on` caught: the refusal, or None when the block ran through."""

    error: DomainError | None = None


@contextmanager
def refusal_shown_on(target):
    """The one way a page shows a service's refusal where the person acted.

    Wrap the service call (and what follows it when it succeeds) in
    `with refusal_shown_on(form):` or `with refusal_shown_on(request):`. When the service
    refuses (`DomainError`, `NotAllowed` included), its transaction has rolled back, so
    nothing changed; the refusal is shown on the form (under the field it names, else at
    the top) for the view to render again at the same address, or, given the request, as
    an error message on the page the view then redirects to; and the view goes on after
    the block. Yields a `Refusal`, whose `error` a view may read to say more.

    A refusal outside such a block reaches `core.middleware.RefusalMiddleware` (the 403
    or 400 page with its sentence), so none is ever a 500.
    """
    refusal = Refusal()
    try:
        yield refusal
    except DomainError as exc:
        refusal.error = exc
        if isinstance(target, forms.BaseForm):
            add_domain_error(target, exc)
        else:
            messages.error(target, exc.message)


ONCE_FIELD = "once"
# What a person sees after sending the same form twice: where the first one went.
ALREADY_SENT = gettext_noop(
    "You had already sent this form; this is what it created (nothing was added twice)."
)


def send_once(request, form, create):
    """A create form's answer: run `create` once per rendered form (`core.services.submit_once`)
    and redirect to what it made (saying so on a repeat), or None with the service's refusal
    shown on the form, for the view to render again."""

    with refusal_shown_on(form) as refused:
        address, created = submit_once(user=request.user, token=form.once_token, create=create)
    if refused.error:
        return None
    if not created:
        messages.info(request, gettext(ALREADY_SENT))
    return redirect(address)


class SubmitOnce:
    """Mixin for a create form: each render carries a fresh token in a hidden field.

    The view hands `once_token` to `core.services.submit_once`, so posting the same
    render twice (or twenty times at once) creates one record. The token is only ever
    compared with the ones this person already used, so guessing one gains nothing.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[ONCE_FIELD] = forms.CharField(
            widget=forms.HiddenInput,
            required=False,
            max_length=64,
            initial=uuid.uuid4().hex,
        )

    @property
    def once_token(self) -> str:
        return (getattr(self, "cleaned_data", None) or {}).get(ONCE_FIELD, "") or ""
