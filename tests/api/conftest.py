import pytest
from rest_framework.test import APIClient

from api.services import token_create


@pytest.fixture
def api():
    """`api(person, scope)` gives an APIClient that sends that person's personal token."""

    def make(person=None, scope="write"):
        client = APIClient()
        if person is not None:
            _, plain = token_create(actor=person, name="test", scope=scope)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
        return client

    return make
