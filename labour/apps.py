from django.apps import AppConfig


class LabourConfig(AppConfig):
    name = "labour"
    verbose_name = "Labour log"

    def ready(self):
        from core import attention

        from .selectors import attention_counts

        attention.register(attention_counts)
