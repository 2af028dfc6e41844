"""`python -m tools.bench [options]`: Django set up as manage.py does, then the benchmark.

The options, output and exit status are those the `manage.py bench` command had (it is
still a Django BaseCommand, run here outside the installed apps).
"""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django  # after DJANGO_SETTINGS_MODULE is set

    django.setup()
    from tools.bench.run import Command  # it imports models: after django.setup()

    Command().run_from_argv(["python -m", "tools.bench", *sys.argv[1:]])


if __name__ == "__main__":
    main()
