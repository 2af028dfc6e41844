"""The demo shows every status in both running programmes, quickly, and only once."""

import time

from approvals.models import OutputSubmission
from demo import approvals as approvals_demo
from demo import base as demo


def test_the_demo_has_every_status_in_both_programmes_and_is_idempotent(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ctx = demo.seed()
    started = time.monotonic()
    approvals_demo.seed(ctx)
    elapsed = time.monotonic() - started
    statuses = set(OutputSubmission.objects.values_list("status", flat=True))
    assert statuses == set(OutputSubmission.Status.values)
    criticised = OutputSubmission.objects.filter(programme=ctx["criticised"])
    assert criticised.filter(status="pending", due_at__isnull=True).count() >= 15
    fair = OutputSubmission.objects.filter(programme=ctx["fair"])
    assert fair.filter(status="deemed_approved").count() >= 3
    assert (
        fair.filter(status="appealed").exists() and fair.filter(appeal__isnull=False).count() >= 2
    )
    count = OutputSubmission.objects.count()
    approvals_demo.seed(ctx)
    assert OutputSubmission.objects.count() == count
    print(f"\nFIGURE approvals demo: {count} submissions seeded in {elapsed:.2f} s")
