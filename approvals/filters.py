"""The FilterSets of the output lists: the review queue (shared with the API) and a
participant's own outputs."""

from datetime import timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filtering import DateFilter, ShortModelChoiceFilter, configure_filter
from core.search import SearchableFilterSet, SearchFilter

from .models import OutputSubmission
from .selectors import search_submissions

DUE_SOON = timedelta(hours=24)


class SubmissionFilter(SearchableFilterSet):
    q = SearchFilter(search=search_submissions, label=_("Search"))
    programme = ShortModelChoiceFilter(
        label=_("Programme"), queryset=None, empty_label=_("All my programmes")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[
            (s.value, s.label) for s in OutputSubmission.Status if s.value in OutputSubmission.OPEN
        ],
        empty_label=_("Any open status"),
    )
    intended_use = django_filters.ChoiceFilter(
        label=_("Intended use"),
        choices=OutputSubmission.IntendedUse.choices,
        empty_label=_("Any use"),
    )
    due_soon = django_filters.BooleanFilter(
        label=_("Due within 24 h"),
        method="filter_due_soon",
        widget=forms.CheckboxInput,
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue"), method="filter_overdue", widget=forms.CheckboxInput
    )
    due_later = django_filters.BooleanFilter(
        label=_("Due after 24 h"), method="filter_due_later", widget=forms.CheckboxInput
    )
    no_deadline = django_filters.BooleanFilter(
        label=_("No deadline"), method="filter_no_deadline", widget=forms.CheckboxInput
    )
    participant = django_filters.CharFilter(
        label=_("Participant email"), field_name="participant__email", lookup_expr="icontains"
    )
    submitted_from = DateFilter(
        label=_("Submitted from"),
        field_name="submitted_at__date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    submitted_to = DateFilter(
        label=_("Submitted until"),
        field_name="submitted_at__date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = OutputSubmission
        fields = [
            "q",
            "programme",
            "status",
            "intended_use",
            "due_soon",
            "overdue",
            "due_later",
            "no_deadline",
            "participant",
            "submitted_from",
            "submitted_to",
        ]

    def __init__(self, *args, programmes, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        configure_filter(self, "programme", queryset=programmes)
        self.now = now or timezone.now()

    def filter_queryset(self, queryset):
        # Open items only; a chosen status (always an open one) replaces that condition
        # rather than adding to it: `status IN (…) AND status = 'pending'` makes PostgreSQL
        # underestimate the rows a thousandfold and sort instead of reading the index.
        if not (self.form.is_valid() and self.form.cleaned_data.get("status")):
            queryset = queryset.open()
        return super().filter_queryset(queryset)

    def filter_due_soon(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(due_at__gt=self.now, due_at__lte=self.now + DUE_SOON)

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(due_at__lte=self.now)

    def filter_due_later(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(due_at__gt=self.now + DUE_SOON)

    def filter_no_deadline(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(due_at__isnull=True)


OS = OutputSubmission


class DecidedFilter(SearchableFilterSet):
    """The decided outputs of the programmes a person reviews (the staff list of decided
    outputs): by decision and by the date it was made."""

    q = SearchFilter(search=search_submissions, label=_("Search"))
    programme = ShortModelChoiceFilter(
        label=_("Programme"), queryset=None, empty_label=_("All my programmes")
    )
    status = django_filters.ChoiceFilter(
        label=_("Decision"),
        choices=[(s.value, s.label) for s in OS.Status if s in OS.DECIDED],
        empty_label=_("Any decision"),
    )
    decided_from = DateFilter(
        label=_("Decided from"), field_name="decided_at__date", lookup_expr="gte"
    )
    decided_to = DateFilter(
        label=_("Decided until"), field_name="decided_at__date", lookup_expr="lte"
    )
    participant = django_filters.CharFilter(
        label=_("Participant email"), field_name="participant__email", lookup_expr="icontains"
    )

    class Meta:
        model = OutputSubmission
        fields = ["q", "programme", "status", "decided_from", "decided_to", "participant"]

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        configure_filter(self, "programme", queryset=programmes)


class MySubmissionFilter(SearchableFilterSet):
    """A participant's own outputs: the search box of "My outputs"."""

    q = SearchFilter(search=search_submissions)

    class Meta:
        model = OutputSubmission
        fields = ["q"]
