"""`manage.py c2pa_test_chain`: make the embedded run's test C2PA chain now (it is otherwise
made the first time a file is signed), and say where it is."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from provenance import testchain


class Command(BaseCommand):
    help = "Make the test C2PA signing key and certificate chain (not for production)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Production signs with the operator's chain, never a test chain.")
        made = testchain.ensure(
            settings.C2PA_SIGNING_KEY_FILE,
            settings.C2PA_CERT_CHAIN_FILE,
            settings.C2PA_TRUST_ANCHORS_FILE,
        )
        what = "Made" if made else "Already there:"
        self.stdout.write(
            f"{what} {settings.C2PA_SIGNING_KEY_FILE}, {settings.C2PA_CERT_CHAIN_FILE}, "
            f"{settings.C2PA_TRUST_ANCHORS_FILE}"
        )
