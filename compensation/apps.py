from django.apps import AppConfig


class CompensationConfig(AppConfig):
    name = "compensation"
    verbose_name = "Compensation"

    def ready(self):
        # Imported here: apps.py loads before the models the receivers use.
        from programs import signals

        from .services import bounty_follow_ticket, refuse_threshold_raise_by_awarder

        signals.ticket_status_changed.connect(
            bounty_follow_ticket, dispatch_uid="compensation.bounties"
        )
        signals.approval_threshold_changing.connect(
            refuse_threshold_raise_by_awarder, dispatch_uid="compensation.threshold"
        )
