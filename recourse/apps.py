from django.apps import AppConfig


class RecourseConfig(AppConfig):
    name = "recourse"
    verbose_name = "Recourse (contests)"
