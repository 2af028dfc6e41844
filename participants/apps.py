from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = "Participants"

    def ready(self):
        from core import attention

        from .selectors import attention_counts

        attention.register(attention_counts)
        from core.events import programme_event

        from .services import on_programme_event

        programme_event.connect(on_programme_event, dispatch_uid="participants.new_terms")
