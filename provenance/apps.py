from django.apps import AppConfig


class ProvenanceConfig(AppConfig):
    name = "provenance"
    verbose_name = "Provenance: content credentials, the consent registry, training checks"

    def ready(self):
        # Imported here: apps.py loads before the models the receivers use.
        from programs import signals

        from .services import on_submission_decided, on_tester_choice

        for signal in (signals.submission_decided, signals.submission_deemed_approved):
            signal.connect(on_submission_decided, dispatch_uid=f"provenance.{signal.name}")
        for signal in (signals.training_chosen, signals.consent_accepted):
            signal.connect(on_tester_choice, dispatch_uid=f"provenance.{signal.name}")
