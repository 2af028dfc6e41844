"""Webhooks: the endpoints managers register, each event's delivery, and every try at it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEndpoint(models.Model):
    """A URL that a programme's managers registered to hear about events."""

    class Event(models.TextChoices):
        SUBMISSION_DECIDED = "submission.decided", _("Submission decided")
        SUBMISSION_DEEMED_APPROVED = "submission.deemed_approved", _("Submission deemed approved")
        TICKET_STATUS_CHANGED = "ticket.status_changed", _("Ticket status changed")
        BATCH_EXPORTED = "batch.exported", _("Payout batch exported")
        TERMS_PUBLISHED = "terms.published", _("Terms published")

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "core_webhookendpoint"  # made in core before the integrations app existed

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint; written in the same transaction as the change."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")

    MAX_ATTEMPTS = 8

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=50)
    body = models.TextField(help_text="The exact JSON body sent (and signed).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "core_webhookdelivery"  # made in core before the integrations app existed
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.event} → {self.endpoint.url} ({self.status})"


class WebhookAttempt(models.Model):
    """One try at delivering, logged whatever happened."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "core_webhookattempt"  # made in core before the integrations app existed
        ordering = ["at"]

    def __str__(self):
        return f"{self.delivery_id} at {self.at}: {self.status_code or self.error}"
