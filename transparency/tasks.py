"""Periodic work of the public figures: keeping them fresh."""

from celery import shared_task

from programs.models import TransparencySnapshot

from . import figures as transparency

KEEP_SNAPSHOTS = 5


@shared_task
def refresh_transparency() -> int:
    """Beat: recompute every public programme's figures and keep the last few snapshots."""
    count = 0
    for programme in transparency.public_programmes_query():
        transparency.refresh(programme)
        old = TransparencySnapshot.objects.filter(programme=programme).order_by("-computed_at")[
            KEEP_SNAPSHOTS:
        ]
        TransparencySnapshot.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()
        count += 1
    return count
