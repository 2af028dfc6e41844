"""Reads about participants that several places need: pauses, the programmes one works in."""

from django.utils import timezone

from .models import AccessPause


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
