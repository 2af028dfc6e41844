"""Incidents: mailed once when something an operator must never miss goes wrong, and once
when it is over."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from compensation.models import PayoutBatch
from core import status
from core.models import OutboxMessage
from core.tasks import run_periodic
from ops import serve, services
from ops.models import Incident

from .conftest import refuse_the_audit_log

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _admins(settings):
    settings.ADMINS = [("Ops", "ops@example.net"), ("Night", "night@example.net")]


def _mails(to: str, subject_part: str) -> list:
    """The notifications queued to `to` (the outbox, sent by a worker)."""
    return list(
        OutboxMessage.objects.filter(to_email=to, subject__contains=subject_part).order_by("pk")
    )


def _check(capture):
    with capture(execute=True):
        return services.check_incidents()


def test_a_refused_audit_log_mails_admins_and_every_programmes_managers_once_then_the_recovery(
    programme, other_programme, manager, reviewer, django_capture_on_commit_callbacks
):
    from tests.factories import make_staff

    other_manager = make_staff(other_programme, "manager", email="other-manager@example.com")
    altered = refuse_the_audit_log(programme)
    opened, closed = _check(django_capture_on_commit_callbacks)
    assert [i.kind for i in opened] == ["audit_refused"] and closed == []
    for person in ("ops@example.net", "night@example.net", manager.email, other_manager.email):
        found = _mails(person, "Incident: the audit log does not verify")
        assert len(found) == 1, person
        assert f"event #{altered}" in found[0].body and "audit_verify" in found[0].body
        assert found[0].url == "/audit/checkpoints/"
        assert "one more mail when it is over" in found[0].body
    assert not _mails(reviewer.email, "Incident")  # reviewers are not told; managers are
    # Checked again (every minute): still one incident, no second mail.
    assert _check(django_capture_on_commit_callbacks) == ([], [])
    assert len(_mails("ops@example.net", "Incident")) == 1
    assert Incident.objects.filter(closed_at__isnull=True).count() == 1

    # Repaired: the next run seals and signs; the incident closes with one mail each.
    from audit.tasks import sequence

    from .conftest import repair

    repair(altered)
    sequence()
    opened, closed = _check(django_capture_on_commit_callbacks)
    assert opened == [] and [i.key for i in closed] == ["audit"]
    for person in ("ops@example.net", manager.email, other_manager.email):
        assert len(_mails(person, "Resolved: the audit log does not verify")) == 1
    assert _check(django_capture_on_commit_callbacks) == ([], [])
    assert len(_mails("ops@example.net", "Resolved")) == 1


def test_a_second_refusal_after_recovery_is_a_new_incident_mailed_again(
    programme, django_capture_on_commit_callbacks
):
    refuse_the_audit_log(programme)
    _check(django_capture_on_commit_callbacks)
    Incident.objects.update(closed_at=timezone.now())  # as if it had recovered
    opened, _ = _check(django_capture_on_commit_callbacks)
    assert len(opened) == 1
    assert len(_mails("ops@example.net", "Incident: the audit log")) == 2


def test_beat_stale_for_three_intervals_mails_admins_only_and_clears_on_its_next_tick(
    manager,
    with_broker,
    django_capture_on_commit_callbacks,
):
    status.report("beat", now=timezone.now() - timedelta(seconds=10))
    assert _check(django_capture_on_commit_callbacks) == ([], [])  # two intervals: not yet
    status.report("beat", now=timezone.now() - timedelta(seconds=16))
    opened, _ = _check(django_capture_on_commit_callbacks)
    assert [i.kind for i in opened] == ["beat_stale"]
    [message] = _mails("ops@example.net", "Incident: beat has stopped")
    assert "stale after 15 s" in message.body and "Start beat" in message.body
    assert not _mails(manager.email, "Incident")
    status.report("beat")
    _, closed = _check(django_capture_on_commit_callbacks)
    assert [i.kind for i in closed] == ["beat_stale"]
    assert len(_mails("night@example.net", "Resolved: beat has stopped")) == 1


def test_a_failed_payout_file_is_an_incident_until_finance_builds_it_again(
    participation,
    award,
    approve,
    make_batch,
    finance,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    from compensation import services as pay

    settings.MEDIA_ROOT = tmp_path / "media"
    approve(award(participation, "20.00"))

    def broken(batch):
        raise OSError("the object store refused the upload")

    monkeypatch.setattr(pay.batches, "_batch_files", broken)
    with django_capture_on_commit_callbacks(execute=True):
        make_batch(background=True)  # built by a worker, which fails
    batch = PayoutBatch.objects.get()
    assert batch.status == PayoutBatch.Status.FAILED
    opened, _ = _check(django_capture_on_commit_callbacks)
    assert [i.key for i in opened] == [f"payout-batch-{batch.pk}"]
    [message] = _mails("ops@example.net", "Incident: a payout file failed")
    assert f"Payout batch {batch.pk} (EUR)" in message.body
    assert message.url == f"/finance/batches/{batch.pk}/"
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        pay.batch_retry(actor=finance, batch=batch)
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.READY
    _, closed = _check(django_capture_on_commit_callbacks)
    assert [i.key for i in closed] == [f"payout-batch-{batch.pk}"]
    assert len(_mails("ops@example.net", "Resolved: a payout file failed")) == 1


def test_two_checks_at_once_open_one_incident(programme):
    refuse_the_audit_log(programme)
    [problem] = services.problems()
    first = services.incident_open(problem=problem, now=timezone.now())
    second = services.incident_open(problem=problem, now=timezone.now())
    assert first is not None and second is None
    assert Incident.objects.count() == 1
    assert OutboxMessage.objects.filter(subject__startswith="Incident").count() == 2  # 2 ADMINS


def test_the_check_runs_under_beat_once_per_interval(programme, django_capture_on_commit_callbacks):
    refuse_the_audit_log(programme)
    with django_capture_on_commit_callbacks(execute=True):
        first = run_periodic.run("ops.tasks.check_incidents", 60)
        second = run_periodic.run("ops.tasks.check_incidents", 60)
    assert first == "ran ops.tasks.check_incidents" and second.startswith("skipped")
    assert Incident.objects.filter(kind="audit_refused").count() == 1
    assert status.get("periodic:ops.tasks.check_incidents").ok


@pytest.mark.django_db(transaction=True)  # the watch runs in a thread of its own
def test_a_worker_checks_too_so_a_stopped_beat_is_noticed(with_broker, settings):
    settings.OPS_WORKER_WATCH = True
    status.report("beat", now=timezone.now() - timedelta(minutes=10))
    stop = threading.Event()
    watch = threading.Thread(
        target=serve.watch_incidents, args=(stop,), kwargs={"every": 0.1, "grace": 0}
    )
    watch.start()
    try:
        deadline = timezone.now() + timedelta(seconds=10)
        while not Incident.objects.filter(kind="beat_stale").exists():
            assert timezone.now() < deadline, "the worker's watch did not open the incident"
            stop.wait(0.1)
    finally:
        stop.set()
        watch.join(5)
    assert Incident.objects.filter(kind="beat_stale").count() == 1


def test_with_nobody_in_admins_the_incident_is_still_kept_and_logged(
    programme, settings, caplog, django_capture_on_commit_callbacks
):
    settings.ADMINS = []
    refuse_the_audit_log(programme)
    with caplog.at_level("WARNING", logger="ops.services"):
        opened, _ = _check(django_capture_on_commit_callbacks)
    assert len(opened) == 1
    assert "nobody to mail (set ADMINS)" in caplog.text
