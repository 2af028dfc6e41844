"""The FilterSets of the staff participants list (shared with the API and exports) and of
the applications list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Application, Participation
from .selectors import consent_covers


class ParticipationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Participation.Status.choices)
    role = django_filters.ChoiceFilter(label=_("Role"), choices=Participation.Role.choices)
    consent = django_filters.ChoiceFilter(
        label=_("Consent"),
        choices=[
            ("current", _("Accepted the terms in force")),
            ("pending", _("Must accept the terms")),
        ],
        method="filter_consent",
    )
    q = django_filters.CharFilter(
        label=_("Email contains"), field_name="user__email", lookup_expr="icontains"
    )

    class Meta:
        model = Participation
        fields = ["status", "role", "consent", "q"]

    def __init__(self, *args, required_terms=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.required_terms = required_terms

    def filter_consent(self, queryset, name, value):
        if self.required_terms is None:
            return queryset if value == "pending" else queryset.none()
        queryset = queryset.annotate(has_current=consent_covers(self.required_terms))
        return queryset.filter(has_current=(value == "current"))


class ApplicationFilter(django_filters.FilterSet):
    """The applications of one programme: the staff home links to the pending ones."""

    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Application.Status.choices, empty_label=_("Any status")
    )

    class Meta:
        model = Application
        fields = ["status"]
