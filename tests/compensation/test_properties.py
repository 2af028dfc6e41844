"""Random ledger histories keep their books: balances, batches and the ledger agree."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compensation import services
from compensation.models import LedgerEntry, PayoutBatch, PayoutLine
from compensation.selectors import balance
from core.errors import DomainError

pytestmark = pytest.mark.django_db

amounts = st.decimals(min_value=Decimal("-500.00"), max_value=Decimal("5000.00"), places=2).filter(
    lambda d: d != 0
)
operation = st.one_of(
    st.tuples(st.just("accrue"), st.integers(0, 1), amounts, st.sampled_from(["EUR", "USD"])),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("approve"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("export"), st.sampled_from(["EUR", "USD"])),
    st.tuples(st.just("pay"), st.integers(0, 10)),
)


class Rollback(Exception):
    pass


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_random_accruals_reversals_approvals_and_exports_keep_the_books_balanced(
    ops, programme, participation, participation2, finance, manager, make_batch
):
    from django.utils import timezone

    from programs.models import Programme

    Programme.objects.filter(pk=programme.pk).update(approval_threshold=Decimal("1000.00"))
    people = [participation, participation2]
    try:
        with transaction.atomic():
            for op in ops:
                entries = list(LedgerEntry.objects.order_by("pk"))
                try:
                    with transaction.atomic():
                        if op[0] == "accrue":
                            _, who, amount, currency = op
                            services.award_create(
                                actor=manager,
                                participation=people[who],
                                kind="adjustment" if amount < 0 else "prize",
                                amount=amount,
                                currency=currency,
                                reason="property",
                            )
                        elif op[0] == "reverse" and entries:
                            services.entry_reverse(
                                actor=finance, entry=entries[op[1] % len(entries)], reason="oops"
                            )
                        elif op[0] == "approve" and entries:
                            entry = entries[op[1] % len(entries)]
                            services.entry_approve(actor=manager if op[2] else finance, entry=entry)
                        elif op[0] == "export":
                            make_batch(currency=op[1])
                        elif op[0] == "pay":
                            ready = list(PayoutBatch.objects.filter(status="ready").order_by("pk"))
                            if ready:
                                services.batch_mark_paid(
                                    actor=finance,
                                    batch=ready[op[1] % len(ready)],
                                    reference="P",
                                    paid_on=timezone.localdate(),
                                )
                except DomainError:
                    pass
                _check_books(people)
            raise Rollback
    except Rollback:
        pass


def _check_books(people):
    for p in people:
        own = LedgerEntry.objects.filter(participation=p)
        by_hand: dict = {}
        for currency, amount in own.values_list("currency", "amount"):
            by_hand[currency] = by_hand.get(currency, Decimal("0.00")) + amount
        assert balance(p) == by_hand
    for batch in PayoutBatch.objects.all():
        in_ledger = sum(
            (e.amount for e in LedgerEntry.objects.filter(batch=batch)), Decimal("0.00")
        )
        in_lines = sum((line.amount for line in batch.lines.all()), Decimal("0.00"))
        assert batch.total == in_ledger == in_lines
        assert batch.entries_count == LedgerEntry.objects.filter(batch=batch).count()
        assert not LedgerEntry.objects.filter(batch=batch).exclude(currency=batch.currency).exists()
    exported = LedgerEntry.objects.filter(batch__isnull=False).aggregate(t=Sum("amount"))["t"]
    lines = PayoutLine.objects.aggregate(t=Sum("amount"))["t"]
    assert (exported or 0) == (lines or 0)
    assert not LedgerEntry.objects.filter(
        state__in=["exported", "paid"], batch__isnull=True
    ).exists()
    assert not LedgerEntry.objects.filter(
        state__in=["accrued", "approved"], batch__isnull=False
    ).exists()
    # Every reversal exactly negates its original.
    for r in LedgerEntry.objects.filter(kind="reversal").select_related("reverses"):
        assert r.amount == -r.reverses.amount
