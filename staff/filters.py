"""The FilterSet of a programme's audit page (the page and its CSV export share it)."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from core.filtering import DateFilter, configure_filter


class AuditFilter(django_filters.FilterSet):
    """A programme's audit events: by who acted, what was done, and when."""

    actor = django_filters.ModelChoiceFilter(
        queryset=None, label=_("Who"), empty_label=_("Anyone (the system included)")
    )
    action = django_filters.ChoiceFilter(choices=(), label=_("Action"), empty_label=_("Any action"))
    date_from = DateFilter(label=_("From"), field_name="created_at__date", lookup_expr="gte")
    date_to = DateFilter(label=_("Until"), field_name="created_at__date", lookup_expr="lte")

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "date_from", "date_to"]

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        events = AuditEvent.objects.filter(programme=programme).order_by()
        actors = get_user_model().objects.filter(
            pk__in=events.filter(actor__isnull=False).values("actor_id")
        )
        configure_filter(self, "actor", queryset=actors.order_by("email"))
        actions = events.values_list("action", flat=True).distinct().order_by("action")
        configure_filter(self, "action", choices=[(a, a) for a in actions])
