from django.apps import AppConfig


class CompensationConfig(AppConfig):
    name = "compensation"
    verbose_name = "Compensation"

    def ready(self):
        from core import attention

        from .selectors import attention_counts

        attention.register(attention_counts)
        from core.events import programme_event

        from .services import bounty_follow_ticket

        programme_event.connect(bounty_follow_ticket, dispatch_uid="compensation.bounties")
