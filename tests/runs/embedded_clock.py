"""The test's clock for the embedded run: an output of the demo participant due in N seconds.

Run as `python -m tests.runs.embedded_clock SUBMISSION_ID SECONDS` with the run's environment.
The participant submitted it through the page; the terms promise 72 hours, and nobody waits
72 hours in a test, so this moves its deadline (the only direct write, the test's clock).
"""

import os
import sys
from datetime import timedelta


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.utils import timezone

    from approvals.models import OutputSubmission

    pk, seconds = int(sys.argv[1]), int(sys.argv[2])
    moved = OutputSubmission.objects.filter(pk=pk).update(
        due_at=timezone.now() + timedelta(seconds=seconds)
    )
    print(moved)
    return 0 if moved == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
