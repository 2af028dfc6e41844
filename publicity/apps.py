from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "publicity"
    verbose_name = "Publicity: promotional use, competitions, training use"

    def ready(self):
        from core import panels

        from .panels import output_panel

        panels.register("output", output_panel)
