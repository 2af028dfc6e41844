"""The FilterSets of the ticket lists: the triage queue (shared with the API and exports)
and a reporter's own tickets."""

from datetime import timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filtering import ShortModelChoiceFilter, configure_filter
from core.search import SearchableFilterSet, SearchFilter
from programs.models import Programme

from .models import Severity, Ticket
from .selectors import first_response_overdue, search_tickets

# Sort options of the queue: each is one key that keyset pagination can seek on.
TICKET_SORTS = {
    "oldest": ("created_at", False, _("Oldest first")),
    "newest": ("created_at", True, _("Newest first")),
    "severity": ("severity_rank", True, _("Most severe first")),
    "updated": ("updated_at", True, _("Recently changed")),
}
OPEN = "open"


class TicketFilter(SearchableFilterSet):
    q = SearchFilter(search=search_tickets, label=_("Search"))
    programme = ShortModelChoiceFilter(label=_("Programme"), queryset=Programme.objects.none())
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Ticket.Kind.choices)
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Severity.choices)
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(OPEN, _("Open (new, needs info, triaged, accepted)")), *Ticket.Status.choices],
        method="filter_status",
        empty_label=_("Any status"),
    )
    assignee = django_filters.ChoiceFilter(
        label=_("Assignee"), choices=[], method="filter_assignee", empty_label=_("Anyone")
    )
    age = django_filters.ChoiceFilter(
        label=_("Filed"),
        choices=[
            ("1", _("more than a day ago")),
            ("3", _("more than 3 days ago")),
            ("7", _("more than a week ago")),
            ("30", _("more than 30 days ago")),
        ],
        method="filter_age",
        empty_label=_("any time"),
    )
    triage_overdue = django_filters.BooleanFilter(
        label=_("Triage date passed"),
        method="filter_triage_overdue",
        widget=forms.CheckboxInput,
    )
    response_overdue = django_filters.BooleanFilter(
        label=_("First-response date passed"),
        method="filter_response_overdue",
        widget=forms.CheckboxInput,
    )
    reporter = django_filters.CharFilter(
        label=_("Reporter email contains"), field_name="reporter__email", lookup_expr="icontains"
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
        choices=[(k, v[2]) for k, v in TICKET_SORTS.items()],
        method="filter_sort",
        empty_label=None,
    )

    class Meta:
        model = Ticket
        fields = [
            "q",
            "programme",
            "kind",
            "severity",
            "status",
            "assignee",
            "age",
            "triage_overdue",
            "response_overdue",
            "reporter",
            "sort",
        ]

    def __init__(self, data=None, *args, user, staff=(), **kwargs):
        if data is not None:
            data = data.copy()
            data.setdefault("status", OPEN)
            data.setdefault("sort", "oldest")
        super().__init__(data, *args, **kwargs)
        self.user = user
        configure_filter(
            self, "programme", queryset=Programme.objects.restrict(user, "review").order_by("name")
        )
        configure_filter(
            self,
            "assignee",
            choices=[
                ("me", _("Me")),
                ("none", _("Nobody")),
                *[(str(u.pk), u.email) for u in staff],
            ],
        )

    def filter_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(status__in=Ticket.OPEN)
        return queryset.filter(status=value)

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=value)

    def filter_age(self, queryset, name, value):
        return queryset.filter(created_at__lt=timezone.now() - timedelta(days=int(value)))

    def filter_triage_overdue(self, queryset, name, value):
        # Past its date once the sweep escalated it (`tickets_escalate_overdue_triage`).
        if not value:
            return queryset
        return queryset.filter(triaged_at__isnull=True, triage_escalated_at__isnull=False)

    def filter_response_overdue(self, queryset, name, value):
        # Unanswered past its date once the sweep escalated it
        # (`tickets_escalate_no_first_response`).
        if not value:
            return queryset
        return queryset.filter(first_response_overdue())

    def filter_sort(self, queryset, name, value):
        # Ordering itself is applied by keyset pagination (see `sort_key`).
        return queryset

    def sort_key(self) -> tuple[str, bool]:
        value = "oldest"
        if self.is_bound and self.is_valid():
            value = self.form.cleaned_data.get("sort") or "oldest"
        key, descending, _label = TICKET_SORTS.get(value, TICKET_SORTS["oldest"])
        return key, descending


class MyTicketFilter(SearchableFilterSet):
    """A reporter's own tickets: the search box of "My tickets"."""

    q = SearchFilter(search=search_tickets)

    class Meta:
        model = Ticket
        fields = ["q"]
