"""Reads about programmes and terms that several pages, the API and services share."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Count, Min
from django.utils import timezone

from .models import Programme, TermsVersion


def current_terms(programme: Programme, at=None) -> TermsVersion | None:
    """The terms in force now: the newest published version whose effective date has come."""
    at = at or timezone.now()
    return (
        TermsVersion.objects.effective(at).filter(programme=programme).order_by("-number").first()
    )


def tax_forms_required(programme: Programme, at=None) -> list[str]:
    """The tax forms the terms in force ask for before paying what is earned under them
    (`TermsVersion.tax_forms`); none: pay without."""
    terms = current_terms(programme, at)
    return list(terms.tax_forms or []) if terms is not None else []


def upcoming_terms(programme: Programme, at=None) -> TermsVersion | None:
    """A published version still in its notice period, if any."""
    at = at or timezone.now()
    return (
        TermsVersion.objects.published()
        .filter(programme=programme, effective_at__gt=at)
        .order_by("-number")
        .first()
    )


def coming_versions(programme: Programme, at=None) -> list[dict]:
    """Every published version not yet in force, oldest first, each with its diff from the
    terms in force now: [{"terms", "diff"}] (no diff before any version is in force).

    What an invitation, an application form and the public page show beside the terms in
    force, so nobody joins on a deal already announced to change.
    """
    from .services import terms_diff  # services imports this module: a cycle at import

    at = at or timezone.now()
    in_force = current_terms(programme, at)
    coming = (
        TermsVersion.objects.published()
        .filter(programme=programme, effective_at__gt=at)
        .order_by("number")
    )
    return [
        {"terms": terms, "diff": terms_diff(in_force, terms) if in_force else None}
        for terms in coming
    ]


def required_terms(programme: Programme, at=None) -> TermsVersion | None:
    """The oldest version a participant's consent may be to and still let them work.

    That is the newest effective version that was a material change (the first
    version always counts as one): consent to it or to anything later is enough.
    """
    at = at or timezone.now()
    effective = TermsVersion.objects.effective(at).filter(programme=programme)
    material = effective.filter(material_change=True).order_by("-number").first()
    return material or effective.order_by("number").first()


def terms_in_force_on(programme: Programme, day) -> TermsVersion | None:
    """The terms in force at the end of a given day (used for accruals)."""

    end = timezone.make_aware(datetime.combine(day, time.max))
    return current_terms(programme, end)


# --- What needs the staff's attention, per programme ----------------------------------------


@dataclass(frozen=True)
class Attention:
    """One count on the staff home (`staff.views.home`): a programme's items waiting for
    this person, e.g. 3 "review items overdue". Each work app's `selectors.attention_counts`
    returns these; the staff home imports those functions and shows their non-zero counts."""

    programme_id: int
    order: int  # where it goes in a programme's row (review first, pay last)
    label: str  # "review items overdue"
    count: int
    url: str  # the list, filtered to exactly these items
    urgent: bool = False
    # When the oldest of these items started waiting, for items no deadline covers: the
    # home shows its age ("oldest waiting 46 days") so nothing waits unseen.
    oldest: datetime | None = None


def per_programme(
    items, *, order: int, label: str, url: Callable, also=(), since: str | None = None
) -> list[Attention]:
    """The count of `items` (a queryset already restricted to what the person may act on)
    per programme, in one grouped query. `url(row)` gives the list filtered to exactly
    those items; `row` holds "programme_id" and the `also` columns (e.g. the slug).
    `since` names the field of when an item started waiting: the oldest one's is kept."""
    rows = items.order_by().values("programme_id", *also).annotate(n=Count("pk"))
    if since:
        rows = rows.annotate(oldest=Min(since))
    return [
        Attention(r["programme_id"], order, label, r["n"], url(r), oldest=r.get("oldest"))
        for r in rows
    ]


def open_threshold_change(programme):
    """The proposed change of the programme's two-person threshold that waits for a second
    manager, if any."""
    return (
        programme.threshold_changes.filter(confirmed_at=None, closed_at=None)
        .select_related("proposed_by")
        .first()
    )
