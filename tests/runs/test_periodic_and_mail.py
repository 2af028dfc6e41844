"""What the runs rely on, checked fast on SQLite: the periodic lock, the product's name in mail."""

from django.conf import settings
from django.core import mail
from django.core.cache import cache

from core.models import OutboxMessage
from core.tasks import run_periodic


def test_every_beat_entry_goes_through_the_periodic_lock_with_its_interval():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] == "core.tasks.run_periodic"
        task_name, interval = entry["args"][:2]
        assert task_name.endswith(".tasks." + task_name.rsplit(".", 1)[-1])
        assert interval == entry["schedule"].total_seconds()


def test_a_second_tick_within_the_interval_is_refused_and_runs_nothing(db, programme):
    cache.clear()
    first = run_periodic("transparency.tasks.refresh_transparency", 300)
    second = run_periodic("transparency.tasks.refresh_transparency", 300)
    other = run_periodic("core.tasks.retry_pending_outbox", 60)
    assert first == "ran transparency.tasks.refresh_transparency"
    assert second.startswith("skipped transparency.tasks.refresh_transparency")
    assert other == "ran core.tasks.retry_pending_outbox"
    cache.delete("periodic-lock:transparency.tasks.refresh_transparency")  # the interval passed
    assert run_periodic("transparency.tasks.refresh_transparency", 300).startswith("ran")


def test_account_emails_greet_from_the_products_name(
    client, participant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": participant.email})
    assert response.status_code == 302
    message = OutboxMessage.objects.filter(to_email=participant.email).latest("pk")
    assert "Hello from Terms & Testers!" in message.body
    assert "Hello from !" not in message.body
    assert any("Hello from Terms & Testers!" in m.body for m in mail.outbox)


def test_production_refuses_a_broker_other_than_redis():
    """The filesystem broker of `make run` serves one machine; production must not use it."""
    from tests.core.test_settings import PROD_OK, _manage

    result = _manage("check", **PROD_OK, CELERY_BROKER_URL="filesystem://")
    assert result.returncode != 0
    assert "CELERY_BROKER_URL must be unset" in result.stderr
