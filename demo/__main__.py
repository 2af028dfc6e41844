"""`python -m demo`: seed the demo data (idempotent) and print the demo logins."""

import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django  # after DJANGO_SETTINGS_MODULE is set

    django.setup()
    from django.core.exceptions import ImproperlyConfigured  # after django.setup()

    import demo  # its seeders import models: after django.setup()

    try:
        demo.seed()
    except ImproperlyConfigured as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(f"Demo data is ready. Log in with (password {demo.PASSWORD}):")
    for email, what in demo.LOGINS:
        print(f"  {email:<28} {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
