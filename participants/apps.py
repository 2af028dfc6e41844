from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = "Participants"

    def ready(self):
        from core.events import programme_event

        from .services import on_programme_event

        programme_event.connect(on_programme_event, dispatch_uid="participants.new_terms")
