from django.apps import AppConfig


class ProvenanceConfig(AppConfig):
    name = "provenance"
    verbose_name = "Provenance: content credentials, the consent registry, training checks"

    def ready(self):
        from core import panels
        from core.events import programme_event

        from .panels import output_panel, programme_panel
        from .services import on_programme_event

        # Issue 26 replaces `programme_event` by one signal per event: connect to those.
        programme_event.connect(on_programme_event, dispatch_uid="provenance.consent")
        panels.register("output", output_panel)
        panels.register("programme", programme_panel)
