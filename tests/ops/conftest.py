"""Reading /metrics as Prometheus reads it, with the token."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "a-metrics-token-for-the-tests-only-0123456789"
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def _metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def parse(text: str) -> dict:
    """{(sample name, frozenset of labels): value} of an exposition."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def scrape(client):
    """`scrape()` → the samples of /metrics; `scrape.value(name, **labels)` → one (0 if absent)."""

    class Scraper:
        def __call__(self):
            response = client.get("/metrics", **BEARER)
            assert response.status_code == 200, response.content[:300]
            return parse(response.content.decode())

        def value(self, name, **labels):
            return self().get((name, frozenset(labels.items())), 0.0)

    return Scraper()
