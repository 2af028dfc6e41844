from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared mechanisms"

    def ready(self):
        from . import api_schema  # noqa: F401 - registers the OpenAPI extension
