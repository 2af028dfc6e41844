"""The staff home: a composition page at the top of the layers.

It shows what the work apps below have waiting for this person, so it imports each
app's counter directly (lint-imports sees every one); no app registers anything. To add
a count, write `attention_counts(user, now) -> list[programs.selectors.Attention]` in
your app's selectors (one grouped query, through `restrict(user, action)` so a person
counts only what their roles let them act on, never their own records) and add it to
`COUNTERS` below.
"""

import csv

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from approvals.filters import DecidedFilter
from approvals.selectors import attention_counts as review_counts
from approvals.selectors import decided_outputs, reviewable_programmes
from audit.describe import describe
from audit.models import AuditEvent
from compensation.selectors import attention_counts as pay_counts
from core import search
from core.csvsafe import Echo, safe_cell, utc_seconds
from core.pagination import keyset_page
from feedback.selectors import attention_counts as ticket_counts
from labour.selectors import attention_counts as hours_counts
from participants.selectors import attention_counts as consent_counts
from programs import policy
from programs.models import Programme
from programs.selectors import Attention
from recourse.selectors import attention_counts as contest_counts

from .filters import AuditFilter

COUNTERS = (review_counts, ticket_counts, hours_counts, contest_counts, consent_counts, pay_counts)


def attention(user, now=None) -> dict[int, list[Attention]]:
    """programme id → the non-zero counts waiting for `user` there, in page order."""
    now = now or timezone.now()
    out: dict[int, list[Attention]] = {}
    for counter in COUNTERS:
        for item in counter(user, now):
            if item.count:
                out.setdefault(item.programme_id, []).append(item)
    for items in out.values():
        items.sort(key=lambda a: a.order)
    return out


@policy.staff_required("staff")
def home(request):
    """What needs attention, per programme on the person's team: one grouped query per
    counter, only for what their roles allow, each linking to the list filtered to exactly
    those items."""
    user = request.user
    programmes = Programme.objects.restrict(user, "staff").order_by("name")
    now = timezone.now()
    counts = attention(user, now)
    rows = [{"programme": p, "counts": counts.get(p.pk, [])} for p in programmes]
    return render(
        request,
        "staff/home.html",
        {"rows": rows, "may_create": policy.any_role(user, "manage"), "now": now},
    )


@policy.staff_required("review")
def decided(request):
    """The decided outputs of the programmes I review, newest decision first, with the
    promotional-use request beside each approved one where the policy lets me ask."""
    user = request.user
    programmes = reviewable_programmes(user).only("name").order_by("name")
    filterset = DecidedFilter(request.GET, queryset=decided_outputs(user), programmes=programmes)
    page = keyset_page(filterset.qs, request, key="decided_at", descending=True, size=50)
    rows = [
        {"item": s, "promote": s.is_approved and policy.can(user, "promote", s)} for s in page.items
    ]
    return render(
        request,
        "staff/decided.html",
        {
            "filter": filterset,
            "matches": search.result_count(filterset),
            "page": page,
            "rows": rows,
        },
    )


# --- A manager's audit page for one programme -----------------------------------------------


def _audit_events(request, programme):
    """The programme's events as the manager filtered them (the page and its CSV agree)."""
    events = policy.restrict(AuditEvent.objects.filter(programme=programme), request.user)
    events = events.select_related("actor", "programme")
    return AuditFilter(request.GET, queryset=events, programme=programme)


@policy.staff_required("manage")
def programme_audit(request, slug):
    """Every event of a programme I manage, in sentences, filtered by actor, action and
    date; `/audit/mine/` stays each person's own."""
    programme = policy.get_or_404(Programme.objects, request.user, "manage", slug=slug)
    filterset = _audit_events(request, programme)
    page = keyset_page(filterset.qs, request, key="id", descending=True, size=50)
    rows = [(e, describe(e, request.user)) for e in page.items]
    return render(
        request,
        "staff/audit.html",
        {
            "programme": programme,
            "filter": filterset,
            "page": page,
            "rows": rows,
            "query": request.GET.urlencode(),
        },
    )


@policy.staff_required("manage")
def programme_audit_csv(request, slug):
    """The same events as CSV, streamed, oldest first."""
    programme = policy.get_or_404(Programme.objects, request.user, "manage", slug=slug)
    events = _audit_events(request, programme).qs.order_by("pk")

    def lines():
        writer = csv.writer(Echo(), lineterminator="\n")
        yield writer.writerow(["seq", "when_utc", "actor", "action", "sentence", "hash"])
        for e in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    "" if e.seq is None else e.seq,
                    utc_seconds(e.created_at),
                    safe_cell(e.actor.email if e.actor_id else "system"),
                    safe_cell(e.action),
                    safe_cell(describe(e, None)),
                    e.hash,
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{programme.slug}.csv"'
    return response
