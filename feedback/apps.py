from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback"

    def ready(self):
        from core import attention

        from .selectors import attention_counts

        attention.register(attention_counts)
