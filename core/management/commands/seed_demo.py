import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings

from core import demo


class Command(BaseCommand):
    help = "Create the demo programmes, people and activity (idempotent; refused in production)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with DJANGO_ENV=production.")
        # Demo notifications are kept in the outbox as sent, not printed to the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            with transaction.atomic():
                ctx = demo.seed()
            for config in apps.get_app_configs():
                if config.name in ("core",):
                    continue
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError:
                    continue
                with transaction.atomic():
                    module.seed(ctx)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Log in with (password {demo.PASSWORD}):")
        )
        for email, what in demo.LOGINS:
            self.stdout.write(f"  {email:<28} {what}")
