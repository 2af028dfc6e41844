"""Every change to contests: filed by the tester, answered by someone else, escalated when late.

A contest's answer changes what it must through the owning app's service (the ticket is
accepted and its bounty accrued; the hours are confirmed), in the same transaction as the
answer, audited and notified.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from audit.models import AuditEvent
from audit.services import record
from compensation.models import LedgerEntry, PayoutLine
from compensation.services import accrue_bounties, award_create, entry_restore, line_cost_owed
from core.businessdays import add_business_days
from core.db import limit
from core.errors import DomainError, NotAllowed
from core.l10n import english
from core.services import notify
from core.text import refuse_control_characters
from feedback.models import Ticket
from feedback.services import ticket_overturn
from labour.models import TimeEntry
from labour.services import time_entry_confirm
from participants.models import Consent
from programs import policy
from programs.models import TermsVersion
from programs.selectors import current_terms
from publicity.models import Competition, CompetitionEntry, PromotionalUse
from publicity.services import competition_entry_award, use_fee_owed

from .models import Contest, ContestReason
from .reasons import DEFAULT_REASONS, reasons_for


def _decision_of(record) -> tuple[str, AuditEvent]:
    """The kind and the audit event of the decision contested on `record` (a ticket, a time
    entry or an entry of pay), or a sentence why there is none to contest."""
    if isinstance(record, Ticket):
        if not record.is_contestable:
            raise DomainError(
                f"Ticket #{record.pk} is {record.get_status_display().lower()}: only a "
                "duplicate, not reproducible or won't fix decision can be contested."
            )
        kind, action, obj = Contest.Kind.TICKET, "feedback.ticket.status_changed", record
    elif isinstance(record, TimeEntry):
        if record.status != TimeEntry.Status.DISPUTED:
            raise DomainError(
                f"Your entry of {record.date:%d %b %Y} is {record.get_status_display().lower()}: "
                "only disputed hours can be contested."
            )
        kind, action, obj = Contest.Kind.HOURS, "feedback.time.disputed", record
    elif isinstance(record, PromotionalUse):
        if record.status not in PromotionalUse.IN_USE:
            raise DomainError(
                "Only the fee of a use that happens (accepted or included) can be contested."
            )
        kind, obj = Contest.Kind.FEE, record
        action = f"publicity.use.{'included' if record.status == 'included' else 'requested'}"
    elif isinstance(record, Consent):
        if record.terms_version.pay_model not in Contest.AWARDING:
            raise DomainError(
                f"The terms you accepted (version {record.terms_version.number}) promise no "
                "grant or prize: there is no award to ask for."
            )
        kind, action, obj = Contest.Kind.AWARD, "participants.consent.accepted", record
    elif isinstance(record, PayoutLine):
        if record.state not in PayoutLine.TAKEN_OUT:
            raise DomainError(
                f"Payment #{record.pk} is {record.get_state_display().lower()}: only a payment "
                "that failed or came back can be contested."
            )
        kind, action, obj = Contest.Kind.PAYOUT, f"compensation.line.{record.state}", record
    elif isinstance(record, CompetitionEntry):
        if record.competition.status != Competition.Status.PUBLISHED or record.prize_rank:
            raise DomainError(
                "Only the published result of a competition your entry did not win can be "
                "contested."
            )
        kind, action, obj = (
            Contest.Kind.RESULT,
            "publicity.competition.published",
            record.competition,
        )
    else:
        reversal = LedgerEntry.objects.filter(reverses=record, created_by__isnull=False).first()
        if reversal is None:
            raise DomainError(
                f"Pay entry #{record.pk} was not reversed by a person: only a reversal can be "
                "contested here (a bounty withdrawn with its finding is contested on the ticket)."
            )
        kind, action, obj = Contest.Kind.PAY, "compensation.entry.accrued", reversal
    event = (
        AuditEvent.objects.filter(
            action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )
        .order_by("-id")
        .first()
    )
    if event is None:
        raise DomainError("This decision left no record to contest.")
    return kind, event


def _locked(*, ticket, entry, pay, result, fee=None, line=None, consent=None):
    """The record contested, locked, and the id of the person it concerns."""
    if consent is not None:
        found = (
            Consent.objects.select_for_update(of=("self",))
            .select_related("participation__programme", "terms_version")
            .get(pk=consent.pk)
        )
        found.programme = found.participation.programme
        return found, found.participation.user_id
    if line is not None:
        found = (
            PayoutLine.objects.select_for_update(of=("self",))
            .select_related("participation__programme")
            .get(pk=line.pk)
        )
        found.programme = found.participation.programme
        return found, found.participation.user_id
    if fee is not None:
        found = (
            PromotionalUse.objects.select_for_update().select_related("programme").get(pk=fee.pk)
        )
        return found, found.participant_id
    if result is not None:
        found = (
            CompetitionEntry.objects.select_for_update()
            .select_related("competition__programme")
            .get(pk=result.pk)
        )
        found.programme = found.competition.programme
        return found, found.entrant_id
    if ticket is not None:
        found = Ticket.objects.select_for_update().select_related("programme").get(pk=ticket.pk)
        return found, found.reporter_id
    if entry is not None:
        found = TimeEntry.objects.select_for_update().select_related("programme").get(pk=entry.pk)
        return found, found.user_id
    found = (
        LedgerEntry.objects.select_for_update()
        .select_related("programme", "participation")
        .get(pk=pay.pk)
    )
    return found, found.participation.user_id


def _round_for(event: AuditEvent, tester) -> int:
    """1 for a decision never contested, 2 for a manager's final word after a lost contest;
    otherwise a refusal that says why."""
    earlier = {c.round: c for c in Contest.objects.filter(decision=event, tester=tester)}
    if not earlier:
        return Contest.FIRST
    if Contest.FINAL in earlier:
        final = earlier[Contest.FINAL]
        when = f" on {final.decided_at:%d %b %Y}" if final.decided_at else ""
        raise DomainError(
            "This decision was contested and a manager gave the final word" + when + ": "
            "it cannot be contested again.",
            code="contested_already",
        )
    first = earlier[Contest.FIRST]
    if first.status == Contest.Status.UPHELD:
        raise DomainError(
            "Your contest of this decision was won and the decision changed: there is nothing "
            "left to contest.",
            code="contested_already",
        )
    if first.status == Contest.Status.OPEN:
        raise DomainError(
            "This decision is already contested; wait for the answer to your contest.",
            code="contested_already",
        )
    return Contest.FINAL


def _clean(text: str) -> str:
    return (text or "").strip()


@transaction.atomic
def contest_open(
    *,
    actor,
    reason: str,
    text: str,
    evidence: str = "",
    ticket: Ticket | None = None,
    entry: TimeEntry | None = None,
    pay: LedgerEntry | None = None,
    result: CompetitionEntry | None = None,
    fee: PromotionalUse | None = None,
    line: PayoutLine | None = None,
    consent: Consent | None = None,
) -> Contest:
    """Contest a decision that cost `actor`: a closed finding, disputed hours, reversed pay,
    a competition's result, a promotional-use fee, a payment that failed or came back, an
    award the accepted terms promise and nobody made (`consent`).
    The first contest is answered by staff other than the decision's maker; after a lost
    contest a manager gives the final word; nothing after that."""
    if sum(x is not None for x in (ticket, entry, pay, result, fee, line, consent)) != 1:
        raise DomainError("Name one decision to contest.")
    record_, owner_id = _locked(
        ticket=ticket, entry=entry, pay=pay, result=result, fee=fee, line=line, consent=consent
    )
    if owner_id != actor.pk:
        raise NotAllowed("Only the person the decision concerns can contest it.")
    programme = record_.programme
    kind, event = _decision_of(record_)
    round_ = _round_for(event, actor)
    labels = {code: english(label) for code, label in reasons_for(programme)}
    if reason not in labels:
        raise DomainError("Choose a reason from the list.", field="reason")
    text = _clean(text)
    if not text:
        raise DomainError("Say why the decision should change.", field="text")
    evidence = _clean(evidence)
    for name, value in (("text", text), ("evidence", evidence)):
        if len(value) > limit(Contest, name):
            raise DomainError(f"Keep it under {limit(Contest, name)} characters.", field=name)
    now = timezone.now()
    terms = current_terms(programme)
    days = terms.contest_days if terms is not None else None
    try:
        with transaction.atomic():
            contest = Contest.objects.create(
                programme=programme,
                tester=actor,
                kind=kind,
                ticket=record_ if kind == Contest.Kind.TICKET else None,
                time_entry=record_ if kind == Contest.Kind.HOURS else None,
                ledger_entry=record_ if kind == Contest.Kind.PAY else None,
                competition_entry=record_ if kind == Contest.Kind.RESULT else None,
                promotional_use=record_ if kind == Contest.Kind.FEE else None,
                payout_line=record_ if kind == Contest.Kind.PAYOUT else None,
                consent=record_ if kind == Contest.Kind.AWARD else None,
                decision=event,
                # An award never made is nobody's decision (the event is the tester's consent).
                decision_maker_id=None if kind == Contest.Kind.AWARD else event.actor_id,
                round=round_,
                reason_code=reason,
                reason_label=labels[reason],
                text=text,
                evidence=evidence,
                filed_at=now,
                due_at=None
                if days is None
                else add_business_days(now, days, programme.holiday_calendar),
            )
    except IntegrityError:
        raise DomainError("This decision is already contested.", code="contested_already") from None
    record(
        action="recourse.contest.opened",
        obj=contest,
        actor=actor,
        programme=programme,
        subject=actor,
        data={"of": contest.subject_label, "round": round_, "reason": reason},
    )
    _tell_answerers(contest)
    return contest


def _tell_answerers(contest: Contest) -> None:
    group = (
        policy.MANAGE if contest.is_final or contest.kind == Contest.Kind.AWARD else policy.REVIEW
    )
    if contest.kind in (Contest.Kind.PAY, Contest.Kind.FEE, Contest.Kind.PAYOUT) and not (
        contest.is_final
    ):
        group = policy.MONEY
    due = f" Answer it by {contest.due_at:%d %b %Y}." if contest.due_at else ""
    what = "final word asked" if contest.is_final else "contest to answer"
    for person in policy.staff_of(contest.programme, group):
        if person.pk in (contest.decision_maker_id, contest.tester_id):
            continue
        notify(
            user=person,
            subject=f"A {what}: {contest.subject_label}",
            body=f"{contest.tester.email} contests the decision on {contest.subject_label} "
            f"in {contest.programme.name}: {contest.reason_label}.{due}",
            url=contest.get_absolute_url(),
            dedupe_key=f"recourse.opened:{contest.pk}:{person.pk}",
            programme=contest.programme,
        )


def _apply(contest: Contest, *, actor, answer: str, owed) -> None:
    """The decision changes what it must, through the app that owns it."""
    if contest.kind == Contest.Kind.FEE:
        if owed is None:
            raise DomainError("State the fee the terms promise for this use.", field="owed")
        use_fee_owed(
            actor=actor, use=contest.promotional_use, owed=owed, why=f"contest #{contest.pk} won"
        )
        contest.amount_owed = owed
    elif contest.kind == Contest.Kind.AWARD:
        if owed is None:
            raise DomainError("State the award the terms promise; it is made now.", field="owed")
        terms = contest.consent.terms_version
        kind = "grant" if terms.pay_model == TermsVersion.PayModel.GRANT else "prize"
        award_create(
            actor=actor,
            participation=contest.consent.participation,
            kind=kind,
            amount=owed,
            currency=terms.currency,
            reason=f"promised by the terms (version {terms.number}), contest #{contest.pk} won",
            idempotency_key=f"contest-{contest.pk}",
        )
        contest.amount_owed = owed
    elif contest.kind == Contest.Kind.PAYOUT:
        if owed is None:
            raise DomainError(
                "State what the failed payment cost the tester; it is owed to them.",
                field="owed",
            )
        line_cost_owed(
            actor=actor, line=contest.payout_line, owed=owed, why=f"contest #{contest.pk} won"
        )
        contest.amount_owed = owed
    elif contest.kind == Contest.Kind.TICKET:
        ticket = ticket_overturn(
            actor=actor, ticket=contest.ticket, note=f"Contest #{contest.pk} won: {answer}"
        )
        accrue_bounties(programme=contest.programme, ticket_ids=[ticket.pk])
    elif contest.kind == Contest.Kind.HOURS:
        time_entry_confirm(actor=actor, entry=contest.time_entry)
    elif contest.kind == Contest.Kind.RESULT:
        competition_entry_award(
            actor=actor, entry=contest.competition_entry, why=f"contest #{contest.pk} won"
        )
    else:
        entry_restore(
            actor=actor, entry=contest.ledger_entry, why=f"contest #{contest.pk} won: {answer}"
        )


@transaction.atomic
def contest_decide(*, actor, contest: Contest, upheld: bool, answer: str, owed=None) -> Contest:
    """Answer a contest in writing: upheld changes the decision (its effect applied now),
    dismissed leaves it standing (then the tester may ask a manager for the final word)."""
    contest = (
        Contest.objects.select_for_update(of=("self",))
        .select_related(
            "programme",
            "tester",
            "ticket",
            "time_entry",
            "ledger_entry",
            "competition_entry",
            "promotional_use",
            "payout_line",
            "consent__participation",
            "consent__terms_version",
        )
        .get(pk=contest.pk)
    )
    if contest.status != Contest.Status.OPEN:
        raise DomainError(f"Contest #{contest.pk} was already answered.")
    policy.require_contest_answer(actor, contest)
    answer = _clean(answer)
    if not answer:
        raise DomainError("Write the answer the tester will read.", field="answer")
    if upheld:
        _apply(contest, actor=actor, answer=answer, owed=owed)
    now = timezone.now()
    contest.status = Contest.Status.UPHELD if upheld else Contest.Status.DISMISSED
    contest.decided_by, contest.decided_at, contest.answer = actor, now, answer
    contest.save(update_fields=["status", "decided_by", "decided_at", "answer", "amount_owed"])
    record(
        action="recourse.contest.decided",
        obj=contest,
        actor=actor,
        programme=contest.programme,
        subject=contest.tester,
        data={"of": contest.subject_label, "outcome": contest.status, "round": contest.round},
    )
    after = (
        ""
        if upheld or contest.is_final
        else "\n\nYou may ask a manager for the final word from the contest's page."
    )
    notify(
        user=contest.tester,
        subject=f"Your contest of {contest.subject_label}: {english(contest.get_status_display)}",
        body=f"{answer}{after}",
        url=contest.get_absolute_url(),
        dedupe_key=f"recourse.decided:{contest.pk}",
        programme=contest.programme,
    )
    return contest


def contests_escalate(*, now=None) -> tuple[int, int]:
    """The clock's sweep: an open contest past its due date is escalated to the programme's
    managers; one business day later, still open, the tester is told it is late. Returns
    (escalated, testers told); safe to run twice."""
    now = now or timezone.now()
    escalated = told = 0
    late = Contest.objects.filter(status=Contest.Status.OPEN, due_at__lt=now)
    for contest in late.filter(escalated_at__isnull=True).select_related("programme", "tester"):
        with transaction.atomic():
            if Contest.objects.filter(pk=contest.pk, escalated_at__isnull=True).update(
                escalated_at=now
            ):
                escalated += 1
                _escalate(contest)
    for contest in late.filter(
        escalated_at__isnull=False, tester_told_late_at__isnull=True
    ).select_related("programme", "tester"):
        cal = contest.programme.holiday_calendar
        if add_business_days(contest.escalated_at, 1, cal) > now:
            continue
        with transaction.atomic():
            if Contest.objects.filter(pk=contest.pk, tester_told_late_at__isnull=True).update(
                tester_told_late_at=now
            ):
                told += 1
                _tell_tester_late(contest)
    return escalated, told


def _escalate(contest: Contest) -> None:
    record(
        action="recourse.contest.escalated",
        obj=contest,
        programme=contest.programme,
        subject=contest.tester,
        data={"of": contest.subject_label, "due": contest.due_at},
    )
    for person in policy.staff_of(contest.programme, policy.MANAGE):
        notify(
            user=person,
            subject=f"Overdue contest: {contest.subject_label}",
            body=f"The answer to {contest.tester.email}'s contest of {contest.subject_label} "
            f"was due on {contest.due_at:%d %b %Y} and is late.",
            url=contest.get_absolute_url(),
            dedupe_key=f"recourse.escalated:{contest.pk}:{person.pk}",
            programme=contest.programme,
        )


def _tell_tester_late(contest: Contest) -> None:
    record(
        action="recourse.contest.late_told",
        obj=contest,
        programme=contest.programme,
        subject=contest.tester,
        data={"of": contest.subject_label, "due": contest.due_at},
    )
    notify(
        user=contest.tester,
        subject=f"The answer to your contest of {contest.subject_label} is late",
        body=f"It was due on {contest.due_at:%d %b %Y}. The programme's managers were told on "
        f"{contest.escalated_at:%d %b %Y}.",
        url=contest.get_absolute_url(),
        dedupe_key=f"recourse.late:{contest.pk}",
        programme=contest.programme,
    )


# --- The programme's list of valid contest reasons --------------------------------------------


def _own_list_started(programme, actor) -> None:
    """A programme's first own reason starts its list from the standard ones (which it offered
    until then), so the testers' choices never shrink to the one reason added."""
    if ContestReason.objects.filter(programme=programme).exists():
        return
    for code, label in DEFAULT_REASONS:
        reason = ContestReason.objects.create(programme=programme, code=code, label=english(label))
        record(
            action="recourse.reason.created",
            obj=reason,
            actor=actor,
            programme=programme,
            data={"code": code, "label": label, "default": True},
        )


@transaction.atomic
def contest_reason_create(*, actor, programme, label: str, code: str = "") -> ContestReason:
    """Add a reason testers may give when they contest; its code is made from the label."""
    policy.require(actor, "manage", programme)
    programme = type(programme).objects.select_for_update().get(pk=programme.pk)
    label = (label or "").strip()
    if not label:
        raise DomainError("Give the reason a label testers understand.", field="label")
    refuse_control_characters(label, field="label", what="reason label")
    if len(label) > 120:
        raise DomainError("Keep the label under 120 characters.", field="label")
    code = slugify(code or label)[:40]
    if not code:
        raise DomainError("The code needs letters or digits.", field="code")
    _own_list_started(programme, actor)
    if ContestReason.objects.filter(programme=programme, code=code).exists():
        raise DomainError(f"The code “{code}” is already in the list.", field="code")
    reason = ContestReason.objects.create(programme=programme, code=code, label=label)
    record(
        action="recourse.reason.created",
        obj=reason,
        actor=actor,
        programme=programme,
        data={"code": code, "label": label},
    )
    return reason


@transaction.atomic
def contest_reason_set_active(*, actor, reason: ContestReason, active: bool) -> ContestReason:
    """Retire a reason (or bring it back); contests that gave it keep its label. The last
    reason in use cannot be retired: testers always have one to give."""
    reason = ContestReason.objects.select_for_update().select_related("programme").get(pk=reason.pk)
    policy.require(actor, "manage", reason)
    if reason.active == active:
        return reason
    if not active and not (
        ContestReason.objects.filter(programme_id=reason.programme_id, active=True)
        .exclude(pk=reason.pk)
        .exists()
    ):
        raise DomainError(
            "This is the last reason in use: add or bring back another before retiring it."
        )
    reason.active = active
    reason.save(update_fields=["active"])
    record(
        action="recourse.reason.updated",
        obj=reason,
        actor=actor,
        programme=reason.programme,
        data={"code": reason.code, "active": active},
    )
    return reason
