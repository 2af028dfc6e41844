"""Reading /metrics as Prometheus reads it, with the token; the log lines of a test."""

import io
import json
import logging

import pytest
from kombu import pools as kombu_pools
from prometheus_client.parser import text_string_to_metric_families

from audit.services import record
from audit.tasks import sequence
from core.logs import formatter
from tests.audit.tamper import sql as tamper
from tests.compensation.conftest import approve, award, make_batch, participation  # noqa: F401

TOKEN = "a-metrics-token-for-the-tests-only-0123456789"
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def _no_periodic_locks_left_from_other_tests():
    """With Redis as the cache (the PostgreSQL pass) a lock outlives the test that took it."""
    from django.conf import settings as django_settings
    from django.core.cache import cache

    if not django_settings.REDIS_URL:
        return  # the database's cache is rolled back with the test
    cache.delete_many(
        [f"periodic-lock:{e['args'][0]}" for e in django_settings.CELERY_BEAT_SCHEDULE.values()]
    )


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


@pytest.fixture
def with_broker(settings, _tasks_eager_unless_worker):
    """Tasks go to a broker (kombu's in-memory one: no worker answers there) and beat is
    expected, as in production; pings wait a fifth of a second."""
    from config.celery import app

    settings.HEALTH_PING_SECONDS = 0.2
    eager, broker = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager, app.conf.broker_url = eager, broker
    # Connections made to another broker during the test are not kept for the next.
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def refuse_the_audit_log(programme):
    """An event altered before it is sealed: the sequencer refuses to seal or sign. Returns
    the altered event's number."""
    record(action="tests.health.event", programme=programme, data={"n": 1})
    sequence()
    event = record(action="tests.health.event", programme=programme, data={"n": 2})
    tamper(
        "UPDATE audit_auditevent SET data_json = %s WHERE id = %s", ['{"n":"rewritten"}', event.pk]
    )
    with pytest.raises(Exception, match="keyed hash"):
        sequence()
    return event.pk


def repair(event_id):
    """The operator restores the event as it was."""
    tamper("UPDATE audit_auditevent SET data_json = %s WHERE id = %s", ['{"n":2}', event_id])


@pytest.fixture
def log_lines(settings):
    """Every line logged while the test runs, rendered as production renders it (JSON), at
    DEBUG so nothing is held back."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet = logging.getLogger("django.db.backends")
    quiet_level = quiet.level
    quiet.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)
    quiet.setLevel(quiet_level)
