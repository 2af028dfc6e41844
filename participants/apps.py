from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = "Participants"

    def ready(self):
        # Imported here: apps.py loads before the models the receivers use.
        from programs import signals

        from .services import on_terms_published

        signals.terms_published.connect(on_terms_published, dispatch_uid="participants.new_terms")
