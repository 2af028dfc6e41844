"""Building a batch: progress on the page while the task runs, and lines written by the
database (one INSERT … SELECT per chunk of payees) equal to what the plain sum gives."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse

from compensation import services
from compensation.models import LedgerEntry, PayoutBatch
from tests.factories import make_participant

pytestmark = pytest.mark.django_db


def test_a_building_batch_shows_its_progress_and_refreshes_until_it_is_ready(
    participation,
    participation2,
    award,
    approve,
    make_batch,
    as_user,
    finance,
    django_capture_on_commit_callbacks,
):
    approve(award(participation, "5.00"), award(participation2, "6.00"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = make_batch(background=True)
    client = as_user(finance)
    page = client.get(reverse("compensation:batch", args=[batch.pk])).content.decode()
    assert "Building — 0 of 2 payees written (0 %)" in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert '<progress max="2" value="0"' in page
    for callback in callbacks:
        callback()  # the Celery task, run in-process
    page = client.get(reverse("compensation:batch", args=[batch.pk])).content.decode()
    assert "Ready to pay" in page and 'http-equiv="refresh"' not in page
    api = client.get(reverse("api:batch", args=[batch.pk])).json()
    assert api["rows_done"] == api["rows_total"] == 2 and api["progress_percent"] == 100


def test_the_lines_written_by_the_database_equal_the_plain_sum_per_payee(
    programme, participation, participation2, award, approve, make_batch, monkeypatch, client
):
    from django.contrib.auth import get_user_model

    monkeypatch.setattr(services.batches, "LINE_CHUNK", 2)  # several chunks, each committed
    client.force_login(participation.user)
    client.post(
        reverse("compensation:payout_details"),
        {"legal_name": "Ada", "country": "DE", "method": "paypal", "email": "ada@example.org"},
    )
    get_user_model().objects.filter(pk=participation.user_id).update(
        first_name="Ada", last_name="Lovelace"
    )
    get_user_model().objects.filter(pk=participation2.user_id).update(first_name="", last_name="")
    people = [participation, participation2] + [
        make_participant(programme, email=f"p{n}@example.com").participations.get()
        for n in range(3)
    ]
    amounts = ["0.10", "0.20", "10.05", "3.33", "0.01"]
    entries = [award(p, a) for p in people for a in amounts[: 1 + people.index(p)]]
    approve(*entries)
    batch = make_batch()
    assert batch.status == PayoutBatch.Status.READY and batch.rows_done == 5
    plain = defaultdict(lambda: [Decimal("0"), 0])
    for e in LedgerEntry.objects.filter(batch=batch):
        plain[e.participation_id][0] += e.amount
        plain[e.participation_id][1] += 1
    lines = {line.participation_id: line for line in batch.lines.all()}
    assert {pid: [line.amount, line.entries_count] for pid, line in lines.items()} == {
        pid: v for pid, v in plain.items()
    }
    ada = lines[participation.pk]
    assert ada.name == "Ada Lovelace" and ada.email == participation.user.email
    assert ada.details_masked == "a•••@example.org" and ada.details_secret
    # Without a full name, the username; without payout details, none.
    other = lines[participation2.pk]
    assert other.name == participation2.user.username
    assert other.details_secret == "" and other.details_masked == ""


def test_building_a_batch_takes_the_same_queries_for_3_payees_as_for_30(
    programme, award, approve, finance, django_assert_max_num_queries
):
    from django.utils import timezone

    def build(n, tag):
        people = [
            make_participant(programme, email=f"{tag}{i}@example.com").participations.get()
            for i in range(n)
        ]
        approve(*[award(p, "1.00") for p in people])
        batch = services.batch_create(
            actor=finance,
            programmes=[programme],
            currency="EUR",
            period_start=timezone.localdate(),
            period_end=timezone.localdate(),
            background=True,
        )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            services.batch_build(batch_id=batch.pk)
        return len(ctx.captured_queries)

    assert build(3, "small") == build(30, "large")
