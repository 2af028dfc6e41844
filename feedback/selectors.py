"""Reads about tickets that pages, exports and other apps share.

For compensation: `accepted_findings` (bounties: `severity` and `terms_version`
of tickets whose status counts as accepted, from `accepted_at`). Hours are read
from `labour.selectors`.
"""

from collections import defaultdict

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, Min, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from core import search
from core.figures import guard
from programs import policy
from programs.models import Programme
from programs.selectors import Attention

from .models import Ticket, TicketComment

# --- Tickets ------------------------------------------------------------------------------


def my_tickets(user):
    """A reporter's own tickets, newest first (page them by key)."""
    return (
        Ticket.objects.restrict(user)
        .filter(reporter=user)
        .select_related("programme", "duplicate_of")
    )


def triage_queue(user):
    """Tickets of every programme this person reviews or manages."""
    return Ticket.objects.restrict(user, "triage").select_related(
        "programme", "reporter", "assignee", "terms_version"
    )


def with_awaiting_response(qs):
    """`qs` with `awaiting_response`: True while nobody answered the reporter (`unanswered`),
    for the queue's first-response column."""
    return qs.annotate(awaiting_response=ExpressionWrapper(unanswered(), BooleanField()))


# What a search of tickets reads, and how much each column weighs in its rank.
SEARCH_FIELDS = (("title", "A"), ("description", "B"))
SIMILAR_LIMIT = 5  # suggestions shown while filing
SIMILAR_RECENT = 500  # SQLite: the newest visible tickets of the programme compared in Python


def search_tickets(qs, q: str):
    """Tickets of `qs` whose title or description match `q` (see core.search.text_search)."""
    return search.text_search(qs, q, SEARCH_FIELDS)


def similar_tickets(user, programme: Programme, title: str) -> list[Ticket]:
    """Up to five tickets of `programme` that `user` may see and that look like `title`.

    Likely duplicates, shown while a tester files a ticket. A ticket is alike when its
    title's trigram similarity to `title` reaches 0.3 (pg_trgm's default threshold), or when
    every word of `title` is in its title or description (full text); the most similar
    first. Only `Ticket.objects.restrict(user)` is read, so nobody learns of a ticket they
    may not open. Each returned ticket carries `similarity` (0 to 1).
    """
    title = " ".join((title or "").split())[: Ticket._meta.get_field("title").max_length]
    if len(title) < 3:
        return []
    visible = Ticket.objects.restrict(user).filter(programme=programme)
    return search.similar(visible, title, SEARCH_FIELDS, limit=SIMILAR_LIMIT, recent=SIMILAR_RECENT)


def ticket_details():
    """Tickets with what the ticket page shows (restrict it to the person: the policy)."""
    return Ticket.objects.select_related(
        "programme", "reporter", "assignee", "terms_version", "duplicate_of"
    )


def comments_for(ticket: Ticket, user):
    """The comments of a ticket this person may read (the reporter: only those meant for them)."""
    return TicketComment.objects.restrict(user).filter(ticket=ticket).select_related("author")


def assignable_staff(programmes) -> list:
    """Reviewers and managers of these programmes: who a ticket may be assigned to."""
    return list(policy.staff_of(programmes, "review").order_by("email"))


def accepted_findings(programme: Programme | None = None):
    """Tickets that count as accepted (accepted, or accepted then resolved), for bounties."""
    qs = Ticket.objects.filter(
        status__in=Ticket.COUNTS_AS_ACCEPTED, accepted_at__isnull=False
    ).select_related("terms_version", "reporter")
    if programme is not None:
        qs = qs.filter(programme=programme)
    return qs


def transparency_section(programme: Programme) -> dict:
    """Tickets for the public page: how many of each kind and status (labour is `labour`'s)."""

    tickets_of = Ticket.objects.filter(programme=programme)
    tickets, statuses = defaultdict(int), defaultdict(int)
    for kind, status, n in (
        tickets_of.order_by().values_list("kind", "status").annotate(n=Count("pk"))
    ):
        tickets[kind] += n
        statuses[status] += n
    statuses = {k: statuses[k] for k in Ticket.Status.values if k in statuses} | statuses
    reporters = tickets_of.aggregate(n=Count("reporter", distinct=True))["n"]
    labels = dict(Ticket.Kind.choices)
    status_labels = dict(Ticket.Status.choices)
    ticket_figures = {
        "reporters": reporters,
        "by_kind": {k: guard(tickets.get(k, 0), reporters) for k in labels},
        "by_status": {k: guard(v, reporters) for k, v in statuses.items()},
    }
    ticket_rows = [[f"Tickets: {labels[k]}", v] for k, v in ticket_figures["by_kind"].items()]
    ticket_rows += [
        [f"Status: {status_labels.get(k, k)}", v] for k, v in ticket_figures["by_status"].items()
    ]
    charts = []
    if reporters >= 5:
        charts.append(
            {
                "title": "Tickets by kind",
                "items": [[labels[k], tickets.get(k, 0)] for k in labels],
            }
        )
    return {
        "tickets": ticket_figures,
        "sections": [{"title": "Tickets", "rows": ticket_rows}],
        "charts": charts,
    }


def unanswered() -> Q:
    """Tickets the programme has not answered yet (`first_response_at` is None): no triage
    decision, never asked the reporter for more information, and no comment the reporter
    reads from anyone but the reporter (a note internal to staff is not an answer)."""
    answer = TicketComment.objects.filter(ticket=OuterRef("pk"), visible_to_reporter=True).exclude(
        author=OuterRef("reporter")
    )
    return Q(
        ~Exists(answer),
        status=Ticket.Status.NEW,
        triaged_at__isnull=True,
        needs_info_since__isnull=True,
        needs_info_seconds=0,
    )


def first_response_overdue() -> Q:
    """Unanswered tickets past the first-response date their terms promise, as the hourly
    sweep found them (`tickets_escalate_no_first_response` escalated them)."""
    return unanswered() & Q(response_escalated_at__isnull=False)


def attention_counts(user, now) -> list:
    """Staff home: new tickets waiting for triage, and of those the ones past the date their
    terms promise a triage decision or a first response (escalated by the sweep), per
    programme this person triages. One grouped query."""

    triage = reverse("feedback:triage")
    rows = (
        Ticket.objects.restrict(user, "triage")
        .filter(status=Ticket.Status.NEW)
        .order_by()
        .values("programme_id")
        .annotate(
            n=Count("pk"),
            late=Count("pk", filter=Q(triaged_at__isnull=True, triage_escalated_at__isnull=False)),
            unanswered=Count("pk", filter=first_response_overdue()),
            # No triage target: nothing would raise them, so the home shows the oldest's age.
            oldest=Min("created_at", filter=Q(terms_version__triage_days__isnull=True)),
        )
    )
    out = []
    for r in rows:
        at = f"{triage}?programme={r['programme_id']}&status=new"
        out += [
            Attention(
                r["programme_id"],
                18,
                _("tickets past their first-response date"),
                r["unanswered"],
                f"{at}&response_overdue=on",
                True,
            ),
            Attention(
                r["programme_id"],
                19,
                _("tickets past their triage date"),
                r["late"],
                f"{at}&triage_overdue=on",
                True,
            ),
            Attention(
                r["programme_id"],
                20,
                _("tickets waiting for triage"),
                r["n"],
                at,
                oldest=r["oldest"],
            ),
        ]
    return out


def first_response_at(ticket: Ticket):
    """When the programme first answered the reporter: its first triage decision or its first
    comment the reporter reads, whichever came first (None before either)."""
    comment = (
        TicketComment.objects.filter(ticket=ticket, visible_to_reporter=True)
        .exclude(author_id=ticket.reporter_id)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    answers = [at for at in (comment, ticket.triaged_at, ticket.needs_info_since) if at]
    return min(answers) if answers else None
