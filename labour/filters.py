"""The FilterSet of the hours queue (shared with the API and exports)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtering import DateFilter, ShortModelChoiceFilter, configure_filter
from programs.models import Programme

from .models import TimeEntry


class TimeEntryFilter(django_filters.FilterSet):
    programme = ShortModelChoiceFilter(label=_("Programme"), queryset=Programme.objects.none())
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=TimeEntry.Status.choices, empty_label=_("Any status")
    )
    activity = django_filters.ChoiceFilter(label=_("Activity"), choices=TimeEntry.Activity.choices)
    participant = django_filters.CharFilter(
        label=_("Participant email contains"), field_name="user__email", lookup_expr="icontains"
    )
    date_from = DateFilter(label=_("From"), field_name="date", lookup_expr="gte")
    date_to = DateFilter(label=_("To"), field_name="date", lookup_expr="lte")

    class Meta:
        model = TimeEntry
        fields = ["programme", "status", "activity", "participant", "date_from", "date_to"]

    def __init__(self, data=None, *args, user, **kwargs):
        if data is not None:
            data = data.copy()
            data.setdefault("status", TimeEntry.Status.LOGGED)
        super().__init__(data, *args, **kwargs)
        configure_filter(
            self, "programme", queryset=Programme.objects.restrict(user, "review").order_by("name")
        )
