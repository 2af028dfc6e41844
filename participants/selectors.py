"""Reads about participants that several places need: pauses, the programmes one works in."""

from django.db.models import Exists, OuterRef
from django.utils import timezone

from .models import AccessPause, Consent


def working_programmes(user):
    """Programmes the person takes part in (the service still checks access and consent)."""
    from programs.models import Programme

    return Programme.objects.filter(
        participations__user=user, participations__status="active"
    ).order_by("name")


def active_programme_pause(programme, at=None) -> AccessPause | None:
    """The programme-wide pause in force at `at` (now by default), if any."""
    at = at or timezone.now()
    return (
        AccessPause.objects.filter(
            programme=programme, participation__isnull=True, starts_at__lte=at
        )
        .exclude(ended_at__lte=at)
        .order_by("-starts_at")
        .first()
    )


def consent_covers(required):
    """Per participation (an annotation): has it accepted `required` or a later version?

    The one rule for "has accepted the current terms", as the access check applies it:
    a consent to the newest material version in force, or to anything after it.
    """
    return Exists(
        Consent.objects.filter(
            participation=OuterRef("pk"),
            terms_version__programme=required.programme_id,
            terms_version__number__gte=required.number,
        )
    )


def coming_changes(participations, at=None) -> dict:
    """Material changes published but not yet in force, that these participants have not
    accepted: programme id → {"terms", "diff"} (the diff from the terms in force now).

    From the day a change is published until it takes effect, the portal, the
    programme page and "needs your action" show it with its date. Two queries
    whatever the number of programmes.
    """
    from programs.models import TermsVersion
    from programs.services import terms_diff

    at = at or timezone.now()
    participations = [p for p in participations if p.status in ("active", "paused")]
    programme_ids = {p.programme_id for p in participations}
    if not programme_ids:
        return {}
    coming, in_force = {}, {}
    for terms in (
        TermsVersion.objects.published()
        .filter(programme_id__in=programme_ids)
        .select_related("programme")
        .order_by("programme_id", "number")
    ):
        if terms.effective_at > at:
            if terms.material_change:
                coming[terms.programme_id] = terms  # the newest one coming wins
        else:
            in_force[terms.programme_id] = terms
    accepted = set(
        Consent.objects.filter(
            participation__in=[p.pk for p in participations],
            terms_version__in=[t.pk for t in coming.values()],
        ).values_list("terms_version_id", "participation_id")
    )
    out = {}
    for p in participations:
        terms = coming.get(p.programme_id)
        if terms is None or (terms.pk, p.pk) in accepted:
            continue
        now_terms = in_force.get(p.programme_id)
        out[p.programme_id] = {
            "terms": terms,
            "diff": terms_diff(now_terms, terms) if now_terms else None,
        }
    return out
