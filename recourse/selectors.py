"""Reads of contests that several pages need: the tester's own, the staff's open list."""

from django.db.models import Count, Min, Q
from django.urls import reverse

from programs.selectors import Attention

from .models import Contest


def my_contests(user):
    return (
        Contest.objects.filter(tester=user).select_related("programme").order_by("-filed_at", "-id")
    )


def open_contests(user):
    """Open contests of the programmes the person staffs, the earliest due first."""
    return (
        Contest.objects.restrict(user)
        .exclude(tester=user)
        .filter(status=Contest.Status.OPEN)
        .select_related("programme", "tester")
        .order_by("due_at", "filed_at", "id")
    )


def attention_counts(user, now) -> list[Attention]:
    """Staff home: open contests this person may answer, per programme: overdue (urgent),
    within their target, and with no target (with the oldest one's age). One grouped query."""
    rows = (
        Contest.objects.restrict(user, "answer_contest")
        .exclude(decision_maker=user)
        .filter(status=Contest.Status.OPEN)
        .order_by()
        .values("programme_id")
        .annotate(
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            waiting=Count("pk", filter=Q(due_at__gte=now)),
            none=Count("pk", filter=Q(due_at__isnull=True)),
            oldest=Min("filed_at", filter=Q(due_at__isnull=True)),
        )
    )
    at = reverse("recourse:open")
    out = []
    for r in rows:
        pk = r["programme_id"]
        out += [
            Attention(
                pk, 30, "contests overdue", r["overdue"], f"{at}?programme={pk}&overdue=on", True
            ),
            Attention(
                pk,
                31,
                "contests to answer",
                r["waiting"] + r["none"],
                f"{at}?programme={pk}",
                oldest=r["oldest"],
            ),
        ]
    return out


def contests_of(*, ticket=None, entry=None):
    """The contests of one record's decisions, for the record's own page."""
    where = {"ticket": ticket} if ticket is not None else {"time_entry": entry}
    return Contest.objects.filter(**where).order_by("filed_at", "id")
