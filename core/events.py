"""Events that services announce about a programme, for whichever app listens.

A service calls `publish(programme=..., event=..., data=...)` inside its own transaction.
Receivers run synchronously, in that transaction, and their errors propagate: what they
write (webhook deliveries, connected in `integrations.apps.IntegrationsConfig.ready`)
exists if and only if the change does. This is the one way services announce events, so
apps below `integrations` (programs) emit them without importing it.

Events: "programme.created", "terms.published", "ticket.status_changed", "submission.decided",
"submission.deemed_approved", "batch.exported".
"""

from django.dispatch import Signal

# Sent with keyword arguments programme, event (str) and data (dict, JSON-serialisable).
programme_event = Signal()


def publish(*, programme, event: str, data: dict) -> None:
    """Announce `event` about `programme` to every receiver, now, in the caller's transaction."""
    programme_event.send(sender=None, programme=programme, event=event, data=data)


def publish_many(*, programme, event: str, items: list[dict]) -> None:
    """`publish` for many events of one kind about one programme (a sweep's deemed approvals).

    Every receiver still gets every event; they also get `batch`, a dict shared by the
    calls of this batch, where a receiver may keep what it looked up once for all of them
    (the webhooks keep the endpoints that listen).
    """
    batch: dict = {}
    for data in items:
        programme_event.send(sender=None, programme=programme, event=event, data=data, batch=batch)


# Sent with keyword arguments user, action (str) and data (dict) for things that happen to a
# person's account outside our services (allauth's log-in); `audit` records them.
security_event = Signal()
