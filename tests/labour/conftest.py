"""Fixtures of the labour tests: the feedback tests' tickets (time can be linked to one)."""

from tests.feedback.conftest import actions_of, file_ticket, media_root  # noqa: F401
