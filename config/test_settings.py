"""The settings `pytest` uses (pyproject's DJANGO_SETTINGS_MODULE): the test environment.

Plain `pytest` then runs as `make test` does, with fast password hashing and no debug,
without anyone remembering DJANGO_ENV=test. An explicit DJANGO_ENV still wins.
"""

import os

os.environ.setdefault("DJANGO_ENV", "test")

from .settings import *  # noqa: E402, F403
