"""Incidents: what an operator must never miss, mailed once when it starts and once when it ends."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Incident(models.Model):
    """One stretch of time during which something an operator must know about was wrong.

    Opened by the incident check (ops.services.check_incidents) the first time it sees the
    problem, and mailed to ADMINS (and, for the audit log, to every programme's managers);
    closed, with a second mail, the first time it sees the problem gone. One open incident
    per key at a time (a constraint), so two checks at once mail once.
    """

    class Kind(models.TextChoices):
        AUDIT_REFUSED = "audit_refused", _("The audit log does not verify")
        BEAT_STALE = "beat_stale", _("Beat has stopped")
        PAYOUT_FAILED = "payout_failed", _("A payout file failed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=100, help_text="What is wrong: audit, beat, payout-batch-12.")
    summary = models.TextField()
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(closed_at__isnull=True),
                name="one_open_incident_per_key",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({'open' if self.closed_at is None else 'closed'})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
