from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared mechanisms"

    def ready(self):
        # Here, not at the top: core.languages and core.timezones import models, which need
        # the app registry.
        from . import languages, timezones

        user_logged_in.connect(languages.remember_on_sign_in, dispatch_uid="core.language")
        user_logged_in.connect(timezones.remember_on_sign_in, dispatch_uid="core.time_zone")
