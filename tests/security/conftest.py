import pytest

from .test_authorization_matrix import world  # noqa: F401 - shared fixture


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Every persona has a password; PBKDF2's full cost would dominate these tests' time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
