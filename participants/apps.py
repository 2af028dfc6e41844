from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = "Participants"

    def ready(self):
        from programs.signals import terms_published

        from .services import _on_terms_published

        terms_published.connect(_on_terms_published, dispatch_uid="participants.new_terms")
