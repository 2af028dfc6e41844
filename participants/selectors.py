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
