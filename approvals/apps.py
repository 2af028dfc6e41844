from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Output approval"

    def ready(self):
        # Imported here: apps.py loads before the models the receivers use.
        from programs import signals

        from .services import on_programme_created

        signals.programme_created.connect(
            on_programme_created, dispatch_uid="approvals.default_reasons"
        )
