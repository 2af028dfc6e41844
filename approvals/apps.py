from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Output approval"

    def ready(self):
        from core import attention

        from .selectors import attention_counts

        attention.register(attention_counts)
        from core.events import programme_event

        from .services import on_programme_event

        programme_event.connect(on_programme_event, dispatch_uid="approvals.default_reasons")
