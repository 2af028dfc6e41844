"""Demo data for the embedded run: `python -m demo` (what `make run` does).

A plain package outside INSTALLED_APPS: no app imports it (tests may). `seed()`
creates the demo people and programmes (`demo.base`), then the tickets and hours,
the outputs and the ledger, each through the services so the audit log has them.
It is idempotent and refused in production.
"""

import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

__all__ = ["LOGINS", "PASSWORD", "seed"]


def __getattr__(name):
    if name in ("LOGINS", "PASSWORD"):
        from . import base  # models: after django.setup() (see seed())

        return getattr(base, name)
    raise AttributeError(name)


def seed() -> dict:
    """Create the demo programmes, people and activity; returns the context of `demo.base`."""
    from django.test import override_settings  # loads the test client: only when seeding

    # Imported here, not at the top: `python -m demo` loads this package before Django is
    # set up, and the seeders import models.
    from . import approvals, base, compensation, feedback, provenance, publicity, recourse

    if settings.PRODUCTION:
        raise ImproperlyConfigured("The demo refuses to run with DJANGO_ENV=production.")
    # Demo notifications are kept in the outbox as sent, not printed to the console.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        with transaction.atomic():
            ctx = base.seed()
        # In the order of the apps they fill (each one's data may rest on the ones before).
        for seeder in (feedback, approvals, compensation, publicity, provenance, recourse):
            with transaction.atomic():
                seeder.seed(ctx)
    _checkpoint_the_audit_log()
    return ctx


def _checkpoint_the_audit_log() -> None:
    """Seal the seeded events and sign a checkpoint once seeding is done, as the sequencer
    does every few seconds under beat."""
    from audit import checkpoints, sequencer  # models: after django.setup() (see seed())

    try:
        sequencer.run()
    except sequencer.LogBroken as exc:
        # A database made afresh beside the checkpoints of an older one: say so, keep going.
        print(
            f"Warning: {exc} If you deleted the database on purpose, move "
            f"{checkpoints.directory()} aside too.",
            file=sys.stderr,
        )
