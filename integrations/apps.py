from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations (webhooks)"

    def ready(self):
        from core.events import programme_event

        from .webhooks import on_programme_event

        # Synchronous, in the service's transaction: deliveries exist iff the change does.
        programme_event.connect(on_programme_event, dispatch_uid="integrations.webhooks")
