"""Entries made by hand: a prize, grant or adjustment a manager awards, and a reversal
finance records to correct an entry."""

import uuid

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError, NotAllowed
from core.l10n import english
from core.services import notify
from participants.models import Participation
from programs import policy
from programs.selectors import terms_in_force_on

from ..models import LedgerEntry, PayoutLine
from .ledger import _accrue, checked_amount, checked_currency, reverse_entry
from .rates import rate_on


@transaction.atomic
def award_create(
    *,
    actor,
    participation: Participation,
    kind: str,
    amount,
    currency: str,
    reason: str,
    idempotency_key: str = "",
) -> LedgerEntry:
    """A prize or grant (or a manual adjustment) decided by a manager of the programme."""
    if kind not in LedgerEntry.MANUAL_KINDS:
        raise DomainError(
            "Only prizes, grants, cost reimbursements and adjustments are created by hand.",
            field="kind",
        )
    policy.require(actor, "award", participation)
    amount = checked_amount(amount)
    if amount <= 0 and kind != LedgerEntry.Kind.ADJUSTMENT:
        raise DomainError("A prize, grant or reimbursement is a positive amount.", field="amount")
    if amount == 0:
        raise DomainError("An adjustment of zero changes nothing.", field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why: the participant reads it on their statement.", field="reason")
    terms = terms_in_force_on(participation.programme, timezone.localdate())
    currency = _programme_currency(participation.programme, terms, currency)
    key = f"manual:{idempotency_key or uuid.uuid4().hex}"[:120]
    label = english(LedgerEntry.Kind(kind).label)
    entry, created = _accrue(
        participation=participation,
        kind=kind,
        amount=amount,
        currency=currency,
        source_type="manual",
        source_id="",
        description=f"{label}: {reason}",
        earned_on=timezone.localdate(),
        idempotency_key=key,
        terms=terms,
        actor=actor,
    )
    if created:
        notify(
            user=participation.user,
            subject=f"{label} of {amount} {entry.currency} in {participation.programme.name}",
            body=f"{entry.description}\nIt will be paid once finance has approved and exported it.",
            dedupe_key=f"compensation.award:{entry.pk}",
            url=reverse("compensation:statement"),
            programme=participation.programme,
        )
    return entry


def _programme_currency(programme, terms, currency: str) -> str:
    """The award's currency, once the programme pays in it: its own currency, or those its
    terms in force name (their currency and the others they list). Another currency would
    split the two-person limit."""
    currency = checked_currency(currency)
    allowed = {programme.currency}
    if terms is not None:
        allowed |= {terms.currency, *(terms.other_currencies or [])}
    if currency not in allowed:
        raise DomainError(
            f"{programme.name} pays in {', '.join(sorted(allowed))}; an award in "
            f"{currency} is refused.",
            field="currency",
        )
    # Its weight against the two-person limit needs a rate into the programme's currency.
    rate_on(currency, programme.currency, timezone.localdate())
    return currency


def refuse_threshold_raise_by_awarder(sender, *, programme, payload, **kwargs) -> None:
    """Receiver of `approval_threshold_changing`: the person who last awarded pay in the
    programme may not propose or confirm any change to its two-person threshold."""
    last = (
        LedgerEntry.objects.filter(programme=programme, source_type="manual")
        .order_by("-created_at", "-pk")
        .values_list("created_by_id", flat=True)
        .first()
    )
    if last is not None and last == payload.actor_id:
        raise NotAllowed(
            "You made the last award in this programme; someone else proposes or confirms "
            "any change to its two-person threshold."
        )


@transaction.atomic
def entry_reverse(*, actor, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """Correct an entry by a reversal: a new entry of the negated amount pointing at it."""
    entry = LedgerEntry.objects.select_for_update().select_related("programme").get(pk=entry.pk)
    policy.require(actor, "reverse", entry)
    if entry.kind == LedgerEntry.Kind.REVERSAL:
        raise DomainError("A reversal cannot itself be reversed; record a new entry instead.")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise DomainError("This entry was already reversed.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the entry is reversed.", field="reason")
    return reverse_entry(entry, why=reason, actor=actor)


@transaction.atomic
def entry_restore(*, actor, entry: LedgerEntry, why: str) -> LedgerEntry:
    """Owe again what a reversal took back, once the tester won a contest of the reversal
    (`recourse`): a new entry of the original's kind and amount, approved and paid as any
    other (by someone other than `actor`). Keyed by the entry: restored at most once."""
    entry = (
        LedgerEntry.objects.select_for_update()
        .select_related("participation__user", "programme")
        .get(pk=entry.pk)
    )
    policy.require(actor, "reverse", entry)
    if not LedgerEntry.objects.filter(reverses=entry).exists():
        raise DomainError("This entry was not reversed; there is nothing to restore.")
    restored, created = _accrue(
        participation=entry.participation,
        kind=entry.kind,
        amount=entry.amount,
        currency=entry.currency,
        source_type="compensation.ledgerentry",
        source_id=str(entry.pk),
        description=f"Restored entry {entry.pk}: {why}",
        earned_on=timezone.localdate(),
        idempotency_key=f"restored:{entry.pk}",
        terms=entry.terms_version,
        actor=actor,
    )
    if created:
        notify(
            user=entry.participation.user,
            subject=f"{restored.amount} {restored.currency} owed to you again",
            body=f"{restored.description}\nIt will be paid once approved and exported.",
            dedupe_key=f"compensation.restored:{restored.pk}",
            url=reverse("compensation:statement"),
            programme=entry.programme,
        )
    return restored


@transaction.atomic
def line_cost_owed(*, actor, line: PayoutLine, owed, why: str) -> LedgerEntry:
    """What a payment that failed or came back cost its payee (the bank's charges, a shortfall,
    the delay the terms price), once the payee won a contest of it (`recourse`): an adjustment
    owed to them, approved and paid as any other by someone other than `actor`. Keyed by the
    line: owed at most once. The line's own entries went back to approved when it was taken
    out, and are paid again in the next payout whatever the contest says."""
    line = (
        PayoutLine.objects.select_for_update()
        .select_related("participation__user", "participation__programme")
        .get(pk=line.pk)
    )
    policy.require(actor, "owe_line", line)
    if line.state not in PayoutLine.TAKEN_OUT:
        raise DomainError(
            f"Payment #{line.pk} is {line.get_state_display().lower()}: only a payment that "
            "failed or came back can cost its payee something to owe."
        )
    owed = checked_amount(owed)
    if owed <= 0:
        raise DomainError(
            "State what the failed payment cost the tester (more than zero).", field="owed"
        )
    participation = line.participation
    terms = terms_in_force_on(participation.programme, timezone.localdate())
    entry, created = _accrue(
        participation=participation,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        amount=owed,
        currency=checked_currency(line.currency),
        source_type="compensation.payoutline",
        source_id=str(line.pk),
        description=(
            f"Owed for the payment of {line.amount} {line.currency} that "
            f"{'came back' if line.state == PayoutLine.State.RETURNED else 'failed'} "
            f"on {line.outcome_on:%Y-%m-%d}: {why}"
        )[:300],
        earned_on=timezone.localdate(),
        idempotency_key=f"line-owed:{line.pk}",
        terms=terms,
        actor=actor,
    )
    if created:
        notify(
            user=participation.user,
            subject=f"{entry.amount} {entry.currency} owed to you for a failed payment",
            body=f"{entry.description}\nIt will be paid once approved and exported.",
            dedupe_key=f"compensation.line_owed:{entry.pk}",
            url=reverse("compensation:statement"),
            programme=participation.programme,
        )
    return entry
