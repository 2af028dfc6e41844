from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programmes and terms"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import accounts
        from .middleware import StaffIdleTimeoutMiddleware

        accounts.connect()  # allauth's email signals: audit events and mails (issue 29)

        user_logged_in.connect(
            StaffIdleTimeoutMiddleware.signed_in, dispatch_uid="programs.staff_idle_clock"
        )
