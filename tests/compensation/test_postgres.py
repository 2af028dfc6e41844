"""What only PostgreSQL can show: real row locks between concurrent batches, and the trigger."""

import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Sum

from compensation.models import LedgerEntry, PayoutBatch, PayoutLine
from core.errors import DomainError
from tests.conftest import summarise


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_never_put_an_entry_in_two_batches(
    participation, participation2, award, approve, make_batch
):
    entries = [
        award(participation if i % 2 else participation2, f"{i + 1}.{i % 100:02d}")
        for i in range(120)
    ]
    approve(*entries)
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    made, empty, errors = [], [], []

    def worker():
        try:
            barrier.wait()
            made.append(make_batch().pk)
        except DomainError as exc:
            empty.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    batches = PayoutBatch.objects.filter(pk__in=made)
    claimed = sum(b.entries_count for b in batches)
    exported = LedgerEntry.objects.filter(batch__isnull=False).count()
    doubles = claimed - exported
    summarise(inputs=threads_n, doubled=doubles)
    print(
        f"FIGURE compensation concurrent batches: {len(entries)} entries, {threads_n} threads, "
        f"{len(made)} batches, {len(empty)} found nothing left, {doubles} doubles"
    )
    assert doubles == 0
    assert exported == len(entries)
    assert len(made) >= 1 and len(made) + len(empty) == threads_n
    ledger = LedgerEntry.objects.aggregate(t=Sum("amount"))["t"]
    lines = PayoutLine.objects.aggregate(t=Sum("amount"))["t"]
    assert ledger == lines == sum(b.total for b in batches)


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_an_update_of_the_amount_or_a_delete_but_allows_workflow_columns(
    participation, award
):
    entry = award(participation, "10.00")
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE compensation_ledgerentry SET amount = 1000 WHERE id = %s", [entry.pk]
            )
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE compensation_ledgerentry SET state = 'approved', amount = 1 WHERE id = %s",
                [entry.pk],
            )
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM compensation_ledgerentry WHERE id = %s", [entry.pk])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE compensation_ledgerentry SET paid_reference = 'ok' WHERE id = %s", [entry.pk]
        )
    entry.refresh_from_db()
    assert entry.amount == Decimal("10.00") and entry.paid_reference == "ok"
