"""Per-request configuration of django-filter FilterSets (one way to do it, for every queue)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import DateField, DateInput


class DateFilter(django_filters.DateFilter):
    """A date filter that refuses dates outside the product's range (`core.dates`)."""

    field_class = DateField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", DateInput)
        super().__init__(*args, **kwargs)


class DateRangeWidget(django_filters.widgets.DateRangeWidget):
    """Two date pickers, "from" and "to", each named for screen readers (one visible label
    names the pair), with the ISO values the pickers need."""

    def __init__(self, attrs=None):
        widgets = (
            DateInput({"aria-label": _("From")}),
            DateInput({"aria-label": _("To")}),
        )
        django_filters.widgets.SuffixedMultiWidget.__init__(self, widgets, attrs)


class DateRangeField(django_filters.fields.DateRangeField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = (DateField(required=False), DateField(required=False))


class DateFromToRangeFilter(django_filters.DateFromToRangeFilter):
    """A from–to date filter with both ends inside the product's range."""

    field_class = DateRangeField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", DateRangeWidget)
        super().__init__(*args, **kwargs)


def configure_filter(filterset, name, *, queryset=None, choices=None):
    """Give filter `name` of this FilterSet instance its per-request queryset or choices.

    django-filter builds a filter's form field once and caches it on the filter
    (`Filter._field`), and each FilterSet instance deep-copies the class's `base_filters`.
    When anything builds the field on the class itself (the OpenAPI generator does), every
    later instance inherits that cached field, with the class's empty queryset or choices,
    and a valid request value such as `?assignee=me` is silently rejected. Dropping the
    cached field after setting the values makes the form use this request's values.
    """
    flt = filterset.filters[name]
    if queryset is not None:
        flt.queryset = queryset
    if choices is not None:
        flt.extra["choices"] = choices
    flt.__dict__.pop("_field", None)


class ShortModelChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """The options from the field's queryset as evaluated once (not `.iterator()` again)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ShortModelChoiceField(django_filters.fields.ModelChoiceField):
    """A choice among a few rows (my programmes): one query serves the options and the check.

    Django's field queries once to validate the chosen value and again, through a
    server-side cursor (three round trips on PostgreSQL), to list the options. A queue's
    programme menu holds a handful of rows, so both come from the one evaluated queryset.
    """

    iterator = ShortModelChoiceIterator

    def to_python(self, value):
        if value in self.empty_values or (self.null_label is not None and value == self.null_value):
            return super().to_python(value)
        key = self.to_field_name or "pk"
        for obj in self.queryset:
            if str(getattr(obj, key)) == str(value):
                return obj
        raise forms.ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


class ShortModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ShortModelChoiceField
