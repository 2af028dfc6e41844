"""The FilterSet of the finance ledger list, shared by the page, bulk approval and the export."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filtering import DateFromToRangeFilter

from .models import LedgerEntry
from .selectors import awaiting_approval, finance_programmes, late_payments


def _programmes(request):
    if request is None:
        return finance_programmes(None).none()
    return finance_programmes(request.user)


class LedgerEntryFilter(django_filters.FilterSet):
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=_programmes, empty_label=_("All")
    )
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=LedgerEntry.State.choices, empty_label=_("All")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=LedgerEntry.Kind.choices, empty_label=_("All")
    )
    participant = django_filters.CharFilter(
        label=_("Participant email contains"),
        field_name="participation__user__email",
        lookup_expr="icontains",
    )
    currency = django_filters.CharFilter(
        label=_("Currency"), field_name="currency", method="filter_currency"
    )
    created = DateFromToRangeFilter(
        label=_("Created between"),
        field_name="created_at__date",
    )
    awaiting_me = django_filters.BooleanFilter(
        label=_("Only what I can approve"), method="filter_awaiting_me", widget=forms.CheckboxInput
    )
    late = django_filters.BooleanFilter(
        label=_("Only payments past their date"),
        method="filter_late",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = LedgerEntry
        fields = ["programme", "state", "kind", "participant", "currency", "created"]

    def filter_currency(self, queryset, name, value):
        return queryset.filter(currency=value.strip().upper())

    def filter_late(self, queryset, name, value):
        if not value:
            return queryset
        late = [entry.pk for entry, _ in late_payments(queryset, timezone.now())]
        return queryset.filter(pk__in=late)

    def filter_awaiting_me(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        # The policy's rows (never one's own pay, never what one made), less one's own first step.
        return queryset.filter(pk__in=awaiting_approval(self.request.user).values("pk"))
