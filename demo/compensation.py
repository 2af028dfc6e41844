"""Demo ledger: pay for the demo's confirmed hours and accepted findings, the "competition"
prizes of the criticised programme, approvals, one paid batch and one waiting to be paid."""

from datetime import timedelta

from django.utils import timezone
from schwifty import IBAN

from compensation import services
from compensation.models import LedgerEntry, PayoutBatch, PayoutDetails
from participants.models import Participation

PRIZES = [
    # (tester index, amount, reason) — the few who got "minimal compensation" through a competition.
    (0, "1500.00", "First prize in the screening competition"),
    (2, "250.00", "Second prize in the screening competition"),
    (4, "100.00", "Third prize in the screening competition"),
]


def _payout_details(ctx):
    """Bank accounts (made-up German IBANs with valid checksums) for the fair programme's
    people, a PayPal address for the first of the criticised programme's prize winners."""

    fair = ctx["fair"]
    people = [ctx["participant"], ctx["participant2"], *ctx["testers"]]
    for n, person in enumerate(people, start=1):
        if PayoutDetails.objects.filter(user=person).exists():
            continue
        if not Participation.objects.filter(user=person, programme=fair).exists():
            continue
        services.payout_details_set(
            actor=person,
            legal_name=person.get_full_name() or person.email,
            country="DE",
            method="bank",
            iban=str(IBAN.generate("DE", bank_code="37040044", account_code=f"{n:010d}")),
        )


def _prizes_and_grant(ctx, testers: list) -> list:
    """The criticised programme's competition prizes and one grant of the fair programme,
    entered by the administrator: whoever creates money never approves it, so the manager
    can give the big prize its second approval. Returns the prizes."""
    admin, criticised, fair = ctx["admin"], ctx["criticised"], ctx["fair"]
    prizes = []
    for index, amount, reason in PRIZES:
        if index >= len(testers):
            continue
        participation = Participation.objects.get(user=testers[index], programme=criticised)
        prizes.append(
            services.award_create(
                actor=admin,
                participation=participation,
                kind=LedgerEntry.Kind.PRIZE,
                amount=amount,
                currency=criticised.currency,
                reason=reason,
                idempotency_key=f"demo-prize-{index}",
            )
        )
    services.award_create(
        actor=admin,
        participation=Participation.objects.get(user=ctx["participant2"], programme=fair),
        kind=LedgerEntry.Kind.EXPENSES,
        amount="120.00",
        currency=fair.currency,
        reason="A second monitor for testing (equipment)",
        idempotency_key="demo-grant-1",
    )
    return prizes


def _batches(ctx) -> None:
    """The competition prizes exported and paid; the fair programme's pay in a SEPA batch
    that waits for the bank's statement."""
    finance, criticised, fair = ctx["finance"], ctx["criticised"], ctx["fair"]
    today = timezone.localdate()
    start = today - timedelta(days=365)
    paid = services.batch_create(
        actor=finance,
        programmes=[criticised],
        currency=criticised.currency,
        period_start=start,
        period_end=today,
    )
    services.batch_mark_paid(
        actor=finance, batch=paid, reference="SEPA-2024-11-0042", paid_on=today
    )
    services.batch_create(
        actor=finance,
        programmes=[fair],
        currency=fair.currency,
        period_start=start,
        period_end=today,
        method=PayoutBatch.Method.SEPA,
    )


def _waiting_for_approval(ctx, testers: list) -> None:
    """Something left in the approval queue: a new prize, and a correction of the grant."""
    manager, criticised, fair = ctx["manager"], ctx["criticised"], ctx["fair"]
    if len(testers) > 6:
        services.award_create(
            actor=manager,
            participation=Participation.objects.get(user=testers[6], programme=criticised),
            kind=LedgerEntry.Kind.PRIZE,
            amount="50.00",
            currency=criticised.currency,
            reason="Audience award at the screening",
            idempotency_key="demo-prize-audience",
        )
    services.award_create(
        actor=manager,
        participation=Participation.objects.get(user=ctx["participant"], programme=fair),
        kind=LedgerEntry.Kind.EXPENSES,
        amount="1200.00",
        currency=fair.currency,
        reason="Travel to the launch screening",
        idempotency_key="demo-grant-2",
    )


def seed(ctx):
    if LedgerEntry.objects.exists():
        return
    services.accrue_hourly()
    services.accrue_bounties()
    testers = [
        t
        for t in ctx["testers"]
        if Participation.objects.filter(user=t, programme=ctx["criticised"]).exists()
    ]
    prizes = _prizes_and_grant(ctx, testers)
    # Approvals: finance approves everything; the big prize also needs a second person.
    accrued = list(
        LedgerEntry.objects.filter(state=LedgerEntry.State.ACCRUED).values_list("pk", flat=True)
    )
    services.entries_approve(actor=ctx["finance"], entry_ids=accrued)
    if prizes:
        services.entry_approve(actor=ctx["manager"], entry=prizes[0])
    _payout_details(ctx)
    _batches(ctx)
    _waiting_for_approval(ctx, testers)
