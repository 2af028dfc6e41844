from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations (webhooks)"

    def ready(self):
        # Imported here: apps.py loads before the models the receivers use.
        from .webhooks import SIGNALS, on_signal

        # Synchronous, in the service's transaction: deliveries exist iff the change does.
        for signal in SIGNALS:
            signal.connect(on_signal, dispatch_uid=f"integrations.webhooks.{signal.name}")
