from .test_authorization_matrix import world  # noqa: F401 - shared fixture
