"""The staff home: a composition page at the top of the layers.

It shows what the work apps below have waiting for this person, so it imports each
app's counter directly (lint-imports sees every one); no app registers anything. To add
a count, write `attention_counts(user, now) -> list[programs.selectors.Attention]` in
your app's selectors (one grouped query, through `restrict(user, action)` so a person
counts only what their roles let them act on, never their own records) and add it to
`COUNTERS` below.
"""

from django.shortcuts import render
from django.utils import timezone

from approvals.selectors import attention_counts as review_counts
from compensation.selectors import attention_counts as pay_counts
from feedback.selectors import attention_counts as ticket_counts
from labour.selectors import attention_counts as hours_counts
from participants.selectors import attention_counts as consent_counts
from programs import policy
from programs.models import Programme
from programs.selectors import Attention

COUNTERS = (review_counts, ticket_counts, hours_counts, consent_counts, pay_counts)


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
