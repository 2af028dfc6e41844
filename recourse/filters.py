"""The FilterSet of the staff's open contests (the staff home's counts link into it)."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filtering import ShortModelChoiceFilter, configure_filter
from programs.models import Programme

from .models import Contest


class ContestFilter(django_filters.FilterSet):
    programme = ShortModelChoiceFilter(label=_("Programme"), queryset=Programme.objects.none())
    overdue = django_filters.BooleanFilter(
        label=_("Answer overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )

    class Meta:
        model = Contest
        fields = ["programme", "overdue"]

    def __init__(self, data=None, *args, user, **kwargs):
        super().__init__(data, *args, **kwargs)
        configure_filter(
            self, "programme", queryset=Programme.objects.restrict(user, "staff").order_by("name")
        )

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(due_at__lt=timezone.now()) if value else queryset
