"""Many people acting on the same records at the same moment, on PostgreSQL's real row locks.

- 20 reviewers decide the same output at once through the API, over several rounds:
  exactly one decision, one `approvals.submission.decided` audit event and one notification
  per output; the others get a 400 that says it was already decided; the chain verifies.
- 10 finance people (threads) create export batches at once over the same approved entries:
  every entry lands in exactly one batch, and the batches' totals add up to the ledger.

Figure: concurrent calls, decisions/entries landed, doubles and losses (must be 0).
"""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.db.models import Count, Sum
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_create
from approvals import services as approvals
from approvals.models import ReviewDecision
from audit.models import AuditEvent
from audit.selectors import verify_log
from compensation import services as pay
from compensation.models import LedgerEntry, PayoutBatch, PayoutLine
from core.errors import DomainError
from core.models import OutboxMessage
from participants.models import Participation
from programs.models import ProgrammeRole
from tests.conftest import summarise
from tests.factories import make_participant, make_staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DECIDERS = 20
ROUNDS = 5
EXPORTERS = 10


def _run_at_once(n, target):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [], errors
    return results


def test_twenty_reviewers_deciding_one_output_at_once_land_exactly_one_decision(programme):
    participant = make_participant(programme, email="raced@example.com")
    reviewers = [
        make_staff(programme, ProgrammeRole.Role.REVIEWER, email=f"r{i}@example.com")
        for i in range(DECIDERS)
    ]
    tokens = [token_create(actor=r, name="race", scope="write")[1] for r in reviewers]
    landed = doubles = lost = 0
    statuses: dict[int, int] = {}
    for round_ in range(ROUNDS):
        s = approvals.submission_create(
            actor=participant,
            programme=programme,
            title=f"Raced {round_}",
            intended_use="social",
            url=f"https://example.org/raced/{round_}",
        )

        def decide(i, pk=s.pk):
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[i]}")
            response = client.post(
                f"/api/v1/submissions/{pk}/decide/", {"outcome": "approved"}, format="json"
            )
            return response.status_code, response.json()

        results = _run_at_once(DECIDERS, decide)
        for code, _ in results:
            statuses[code] = statuses.get(code, 0) + 1
        winners = [body for code, body in results if code == 200]
        losers = [body for code, body in results if code != 200]
        assert len(winners) == 1, results
        assert all(b.get("code") == "already_decided" for b in losers), losers
        decisions = ReviewDecision.objects.filter(submission_id=s.pk).count()
        events = AuditEvent.objects.filter(
            action="approvals.submission.decided",
            object_type="approvals.outputsubmission",
            object_id=str(s.pk),
        ).count()
        notes = OutboxMessage.objects.filter(dedupe_key__startswith="approvals:decided:").filter(
            dedupe_key__in=[
                f"approvals:decided:{d}"
                for d in ReviewDecision.objects.filter(submission_id=s.pk).values_list(
                    "pk", flat=True
                )
            ]
        )
        assert (decisions, events, notes.count()) == (1, 1, 1)
        landed += decisions
        doubles += max(decisions, events) - 1
        lost += 1 - min(decisions, events)
    assert verify_log(records=False).ok
    summarise(inputs=DECIDERS * ROUNDS, lost=lost, doubled=doubles)
    print(
        f"\nFIGURE concurrency, decisions: {ROUNDS} rounds of {DECIDERS} reviewers deciding one "
        f"output at once through the API ({DECIDERS * ROUNDS} requests; answers {statuses}), "
        f"{landed} decisions and {landed} audit events landed, {doubles} doubled, {lost} lost"
    )


def test_ten_batches_created_at_once_put_every_entry_in_exactly_one_batch(
    programme, manager, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    people = [make_participant(programme, email=f"payee{i}@example.com") for i in range(6)]
    participations = list(Participation.objects.filter(user__in=people))
    finance = [
        make_staff(programme, ProgrammeRole.Role.FINANCE, email=f"fin{i}@example.com")
        for i in range(EXPORTERS)
    ]
    entries = [
        pay.award_create(
            actor=manager,
            participation=participations[i % len(participations)],
            kind="prize",
            amount=Decimal(f"{i % 37 + 1}.{i % 100:02d}"),
            currency="EUR",
            reason=f"Race {i}",
        )
        for i in range(240)
    ]
    pay.entries_approve(actor=finance[0], entry_ids=[e.pk for e in entries])
    today = timezone.localdate()

    def export(i):
        try:
            return pay.batch_create(
                actor=finance[i],
                programmes=[programme],
                currency="EUR",
                period_start=today - timedelta(days=30),
                period_end=today,
                background=False,
            ).pk
        except DomainError as exc:
            assert exc.code == "empty"
            return None

    made = [pk for pk in _run_at_once(EXPORTERS, export) if pk]
    per_entry = (
        LedgerEntry.objects.filter(pk__in=[e.pk for e in entries])
        .values("pk")
        .annotate(n=Count("batch"))
    )
    exported = LedgerEntry.objects.filter(batch__isnull=False).count()
    claimed = sum(PayoutBatch.objects.filter(pk__in=made).values_list("entries_count", flat=True))
    doubles = claimed - exported
    lost = len(entries) - exported
    summarise(inputs=EXPORTERS, lost=lost, doubled=doubles)
    print(
        f"\nFIGURE concurrency, export batches: {EXPORTERS} batches created at once over "
        f"{len(entries)} approved entries, {len(made)} batches made, {exported} entries "
        f"exported, {doubles} in two batches, {lost} left out"
    )
    assert all(row["n"] == 1 for row in per_entry)
    assert (doubles, lost) == (0, 0)
    ledger = LedgerEntry.objects.aggregate(t=Sum("amount"))["t"]
    lines = PayoutLine.objects.aggregate(t=Sum("amount"))["t"]
    batches = PayoutBatch.objects.filter(pk__in=made).aggregate(t=Sum("total"))["t"]
    assert ledger == lines == batches
