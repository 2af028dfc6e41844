"""The ledger: exact money, idempotent accruals from the terms, append-only entries, approvals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from compensation import services, tasks
from compensation.models import LedgerEntry, PayoutBatch
from compensation.selectors import balance
from core.db import AppendOnlyError
from core.errors import DomainError, NotAllowed
from participants.models import Participation
from programs.models import Programme, TermsVersion
from tests.factories import ProgrammeFactory, TermsFactory, make_participant, make_staff

from .conftest import stored

pytestmark = pytest.mark.django_db


def test_ten_and_twenty_cents_make_exactly_thirty_through_the_ledger_and_the_export(
    participation, award, approve, make_batch
):
    a = award(participation, "0.10")
    b = award(participation, "0.20")
    approve(a, b)
    assert balance(participation) == {"EUR": Decimal("0.30")}
    batch = make_batch()
    assert batch.total == Decimal("0.30")
    line = batch.lines.get()
    assert line.amount == Decimal("0.30")
    assert isinstance(line.amount, Decimal)
    body = stored(batch, "csv").decode()
    assert ",0.30,EUR," in body
    assert "0.30000" not in body


def test_an_amount_with_more_than_two_decimals_or_a_float_is_refused(participation, manager):
    for bad in ("0.001", 0.1, "ten", "NaN"):
        with pytest.raises(DomainError):
            services.award_create(
                actor=manager,
                participation=participation,
                kind="prize",
                amount=bad,
                currency="EUR",
                reason="x",
            )
    assert not LedgerEntry.objects.exists()


def test_entries_are_never_edited_or_deleted_in_code(participation, award):
    entry = award(participation, "10.00")
    entry.amount = Decimal("1000.00")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1"))
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).workflow_update(amount=Decimal("1"))
    entry.refresh_from_db()
    assert entry.amount == Decimal("10.00")


def test_a_reversal_negates_the_original_points_at_it_and_happens_once(
    participation, award, finance
):
    entry = award(participation, "40.00")
    reversal = services.entry_reverse(actor=finance, entry=entry, reason="Awarded twice")
    assert reversal.kind == LedgerEntry.Kind.REVERSAL
    assert reversal.amount == Decimal("-40.00")
    assert reversal.reverses == entry
    assert balance(participation) == {"EUR": Decimal("0.00")}
    with pytest.raises(DomainError, match="already reversed"):
        services.entry_reverse(actor=finance, entry=entry, reason="Again")
    with pytest.raises(DomainError, match="cannot itself be reversed"):
        services.entry_reverse(actor=finance, entry=reversal, reason="Undo")


def test_a_participant_or_reviewer_cannot_reverse_or_award(
    participation, award, participant, reviewer
):
    entry = award(participation, "40.00")
    for person in (participant, reviewer):
        with pytest.raises(NotAllowed):
            services.entry_reverse(actor=person, entry=entry, reason="mine")
        with pytest.raises(NotAllowed):
            services.award_create(
                actor=person,
                participation=participation,
                kind="prize",
                amount="5.00",
                currency="EUR",
                reason="x",
            )
    assert LedgerEntry.objects.count() == 1


def test_an_award_needs_a_reason_and_a_double_submitted_form_awards_once(participation, manager):
    with pytest.raises(DomainError, match="Say why"):
        services.award_create(
            actor=manager,
            participation=participation,
            kind="prize",
            amount="5",
            currency="EUR",
            reason=" ",
        )
    kwargs = dict(
        actor=manager,
        participation=participation,
        kind="prize",
        amount="5.00",
        currency="eur",
        reason="Best bug",
        idempotency_key="form-token-1",
    )
    first = services.award_create(**kwargs)
    second = services.award_create(**kwargs)
    assert first.pk == second.pk
    assert first.currency == "EUR"
    assert LedgerEntry.objects.count() == 1


# --- Approval ---------------------------------------------------------------------------


def test_an_entry_under_the_threshold_is_approved_by_one_person(participation, award, finance):
    entry = award(participation, "99.00")
    entry = services.entry_approve(actor=finance, entry=entry)
    assert entry.state == LedgerEntry.State.APPROVED
    assert entry.approved_by == finance
    event = AuditEvent.objects.filter(action="compensation.entry.approved").get()
    assert event.subject == participation.user


def test_above_the_threshold_two_different_approvers_are_needed_and_the_same_one_twice_is_refused(
    programme, participation, award, finance, manager
):
    Programme.objects.filter(pk=programme.pk).update(approval_threshold=Decimal("100.00"))
    entry = award(participation, "100.01")
    entry = services.entry_approve(actor=finance, entry=entry)
    assert entry.state == LedgerEntry.State.ACCRUED
    assert entry.approved_by == finance
    with pytest.raises(DomainError, match="second, different person"):
        services.entry_approve(actor=finance, entry=entry)
    entry.refresh_from_db()
    assert entry.state == LedgerEntry.State.ACCRUED and entry.second_approver is None
    other_finance = make_staff(programme, "finance")
    entry = services.entry_approve(actor=other_finance, entry=entry)
    assert entry.state == LedgerEntry.State.APPROVED
    assert (entry.approved_by, entry.second_approver) == (finance, other_finance)
    # The threshold counts what the payee receives this month, not one entry at a time.
    at_threshold = award(participation, "100.00")
    assert services.entry_approve(actor=finance, entry=at_threshold).state == "accrued"


def test_bulk_approval_reports_each_refusal_and_approves_the_rest(
    programme, participation, award, finance
):
    Programme.objects.filter(pk=programme.pk).update(approval_threshold=Decimal("100.00"))
    small, big = award(participation, "5.00"), award(participation, "500.00")
    services.entry_approve(actor=finance, entry=big)
    result = services.entries_approve(actor=finance, entry_ids=[small.pk, big.pk, 999999])
    # 505.00 for the payee this month: the small entry needs two approvers as well.
    assert result.approved == 0 and result.first_approvals == 1
    refused = dict(result.refused)
    assert "second, different person" in refused[big.pk]
    assert refused[999999] == "No such entry."


def test_nobody_approves_their_own_pay_and_outsiders_cannot_approve(
    programme, participation, award, outsider
):
    entry = award(participation, "5.00")
    own = make_staff(programme, "finance", user=participation.user)
    with pytest.raises(NotAllowed, match="your own pay"):
        services.entry_approve(actor=own, entry=entry)
    with pytest.raises(NotAllowed):
        services.entry_approve(actor=outsider, entry=entry)
    entry.refresh_from_db()
    assert entry.state == LedgerEntry.State.ACCRUED


# --- Accruals from the terms ------------------------------------------------------------


def _confirmed_hours(user, programme, reviewer, minutes, day=None):
    from labour import services as labour

    entry = labour.time_entry_log(
        actor=user,
        programme=programme,
        date=day or timezone.localdate(),
        minutes=minutes,
        activity="testing",
    )
    return labour.time_entry_confirm(actor=reviewer, entry=entry)


def test_confirmed_hours_accrue_at_the_rate_in_force_once_however_often_it_runs(
    programme, participant, reviewer, participation
):
    time_entry = _confirmed_hours(participant, programme, reviewer, 90)
    first = services.accrue_hourly()
    second = services.accrue_hourly()
    assert first.count == 1 and second.count == 0
    entry = LedgerEntry.objects.get()
    assert entry.amount == Decimal("37.50")  # 1.5 h × EUR 25.00
    assert entry.idempotency_key == f"hourly:timeentry:{time_entry.pk}"
    assert entry.terms_version.number == 1
    assert (entry.source_type, entry.source_id) == ("feedback.timeentry", str(time_entry.pk))


def test_hours_that_are_only_logged_accrue_nothing(programme, participant, participation):
    from labour import services as labour

    labour.time_entry_log(
        actor=participant,
        programme=programme,
        date=timezone.localdate(),
        minutes=60,
        activity="testing",
    )
    assert services.accrue_hourly().count == 0


def test_unpaid_terms_accrue_nothing_but_the_hours_still_count(db, reviewer):
    from compensation.selectors import statement

    unpaid = TermsFactory(
        programme=ProgrammeFactory(slug="unpaid"), pay_model="unpaid", hourly_rate=None
    ).programme
    make_staff(unpaid, "reviewer", user=reviewer)
    artist = make_participant(unpaid, email="artist@example.com")
    _confirmed_hours(artist, unpaid, reviewer, 120)
    result = services.accrue_hourly()
    assert result.count == 0
    assert result.skipped["terms do not pay by the hour"] == 1
    assert statement(artist)["hours"] == Decimal("2.00")


def test_an_accepted_finding_accrues_the_bounty_for_its_severity_once(db, reviewer):
    from feedback import services as feedback

    redteam = TermsFactory(
        programme=ProgrammeFactory(slug="redteam"),
        pay_model=TermsVersion.PayModel.BOUNTY,
        hourly_rate=None,
        bounty_table={"low": "50.00", "high": "500.00"},
    ).programme
    make_staff(redteam, "reviewer", user=reviewer)
    teamer = make_participant(redteam, email="teamer@example.com")
    ticket = feedback.ticket_file(
        actor=teamer,
        programme=redteam,
        kind="safety_finding",
        title="Model produces a real person's likeness",
        description="Steps inside",
        severity="high",
    )
    assert services.accrue_bounties().count == 0  # not accepted yet
    feedback.ticket_set_status(actor=reviewer, ticket=ticket, status="accepted")
    assert services.accrue_bounties().count == 1
    assert services.accrue_bounties().count == 0
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.idempotency_key) == (
        "bounty",
        Decimal("500.00"),
        f"bounty:ticket:{ticket.pk}",
    )


def test_the_stipend_task_accrues_once_per_active_participant_per_period(db):
    programme = TermsFactory(
        programme=ProgrammeFactory(slug="stipend"),
        pay_model=TermsVersion.PayModel.STIPEND,
        hourly_rate=None,
        stipend_amount=Decimal("200.00"),
        stipend_period=TermsVersion.StipendPeriod.MONTHLY,
        effective_at=timezone.now() - timedelta(days=90),
    ).programme
    active = make_participant(programme, email="active@example.com")
    paused = make_participant(programme, email="paused@example.com")
    Participation.objects.filter(programme=programme, user=active).update(
        joined_at=timezone.now() - timedelta(days=80)
    )
    Participation.objects.filter(programme=programme, user=paused).update(
        status=Participation.Status.PAUSED, joined_at=timezone.now() - timedelta(days=80)
    )
    assert tasks.accrue_stipends() == 1
    assert tasks.accrue_stipends() == 0
    entry = LedgerEntry.objects.get()
    label, start, end = services.stipend_period("monthly", timezone.localdate())
    assert entry.participation.user == active
    assert entry.idempotency_key == f"stipend:{entry.participation_id}:{label}"
    assert entry.amount == Decimal("200.00") and entry.earned_on == end


def test_weekly_periods_are_iso_weeks():
    from datetime import date

    assert services.stipend_period("weekly", date(2026, 11, 4)) == (
        "2026-W44",
        date(2026, 10, 26),
        date(2026, 11, 1),
    )
    assert services.stipend_period("monthly", date(2026, 1, 15))[0] == "2025-12"


# --- Batches ----------------------------------------------------------------------------


def test_a_batch_takes_every_approved_unexported_entry_once(
    participation, participation2, award, approve, make_batch
):
    a, b, c = (
        award(participation, "10.00"),
        award(participation, "2.50"),
        award(participation2, "7.00"),
    )
    pending = award(participation2, "99.00")  # not approved: stays out
    approve(a, b, c)
    batch = make_batch()
    assert batch.status == PayoutBatch.Status.READY
    assert batch.entries_count == 3 and batch.total == Decimal("19.50")
    assert {line.participation_id: line.amount for line in batch.lines.all()} == {
        participation.pk: Decimal("12.50"),
        participation2.pk: Decimal("7.00"),
    }
    pending.refresh_from_db()
    assert pending.batch is None
    with pytest.raises(DomainError, match="No approved entry"):
        make_batch()
    assert PayoutBatch.objects.count() == 1


def test_other_currencies_and_periods_stay_out_of_a_batch(
    participation, award, approve, make_batch, pays_in_usd_too
):
    usd = award(participation, "5.00", currency="USD")
    eur = award(participation, "6.00")
    approve(usd, eur)
    batch = make_batch(currency="EUR")
    usd.refresh_from_db()
    assert usd.batch_id is None and batch.total == Decimal("6.00")


def test_only_finance_of_every_chosen_programme_creates_a_batch(
    programme, other_programme, participation, award, approve, make_batch, manager
):
    approve(award(participation, "5.00"))
    with pytest.raises(NotAllowed):
        make_batch(actor=manager)
    with pytest.raises(NotAllowed):
        make_batch(programmes=[programme, other_programme])
    assert not PayoutBatch.objects.exists()


def test_a_big_batch_is_built_in_the_background_with_progress(
    participation, award, approve, make_batch, django_capture_on_commit_callbacks
):
    approve(award(participation, "5.00"), award(participation, "6.00"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = make_batch(background=True)
    assert batch.status == PayoutBatch.Status.BUILDING
    assert batch.rows_total == 1 and batch.rows_done == 0
    for callback in callbacks:
        callback()  # the task, run in-process
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.READY
    assert batch.rows_done == 1 and batch.csv_sha256
    # Running the task again changes nothing.
    assert tasks.build_batch(batch.pk) == PayoutBatch.Status.READY


# --- Reconciliation ---------------------------------------------------------------------


@pytest.fixture
def ready_batch(participation, participation2, award, approve, make_batch):
    Participation.objects.filter(pk=participation.pk).update(payout_reference="PAYEE-A")
    Participation.objects.filter(pk=participation2.pk).update(payout_reference="PAYEE-B")
    approve(
        award(participation, "10.00"), award(participation, "0.10"), award(participation2, "7.00")
    )
    return make_batch()


def test_marking_a_batch_paid_pays_every_line_and_entry_and_notifies_the_payees(
    ready_batch, finance, participant
):
    from core.models import OutboxMessage

    today = timezone.localdate()
    services.batch_mark_paid(actor=finance, batch=ready_batch, reference="BANK-77", paid_on=today)
    ready_batch.refresh_from_db()
    assert ready_batch.status == PayoutBatch.Status.PAID
    assert set(ready_batch.lines.values_list("paid_reference", "paid_at")) == {("BANK-77", today)}
    assert set(ready_batch.entries.values_list("state", "paid_reference")) == {("paid", "BANK-77")}
    assert OutboxMessage.objects.filter(
        recipient=participant, subject="You were paid 10.10 EUR"
    ).exists()
    with pytest.raises(DomainError, match=f"Batch {ready_batch.pk} is already settled"):
        services.batch_mark_paid(actor=finance, batch=ready_batch, reference="X", paid_on=today)


def test_a_matching_provider_file_pays_every_line(ready_batch, finance):
    today = timezone.localdate().isoformat()
    data = f"reference,amount,date\r\nPAYEE-A,10.10,{today}\r\nPAYEE-B,7.00,{today}\r\n".encode()
    services.batch_reconcile(actor=finance, batch=ready_batch, data=data)
    ready_batch.refresh_from_db()
    assert ready_batch.status == PayoutBatch.Status.PAID
    assert dict(ready_batch.lines.values_list("payout_reference", "paid_reference")) == {
        "PAYEE-A": "PAYEE-A",
        "PAYEE-B": "PAYEE-B",
    }
    assert not ready_batch.entries.exclude(state="paid").exists()


def test_any_mismatch_in_the_provider_file_applies_nothing_and_is_reported_line_by_line(
    ready_batch, finance
):
    data = (
        b"reference,amount,date\n"
        b"PAYEE-A,10.00,2026-01-05\n"  # amount differs
        b"PAYEE-A,10.10,2026-01-05\n"  # duplicate
        b"NOBODY,1.00,2026-01-05\n"  # unknown
    )  # PAYEE-B missing
    with pytest.raises(services.ReconciliationFailed) as caught:
        services.batch_reconcile(actor=finance, batch=ready_batch, data=data)
    problems = [(m.row, m.reference, m.problem.split(":")[0]) for m in caught.value.mismatches]
    assert problems == [
        (2, "PAYEE-A", "amount differs"),
        (3, "PAYEE-A", "duplicate"),
        (4, "NOBODY", "unknown reference (no line of this batch)"),
        (None, "PAYEE-B", "missing"),
    ]
    ready_batch.refresh_from_db()
    assert ready_batch.status == PayoutBatch.Status.READY
    assert not ready_batch.lines.exclude(paid_at=None).exists()
    assert not ready_batch.entries.filter(state="paid").exists()


def test_a_provider_file_without_the_right_columns_is_refused_clearly(ready_batch, finance):
    with pytest.raises(DomainError, match="missing: amount"):
        services.batch_reconcile(
            actor=finance, batch=ready_batch, data=b"reference,date\nX,2026-01-01\n"
        )


def test_every_state_change_leaves_an_audit_event(ready_batch, finance):
    services.batch_mark_paid(
        actor=finance, batch=ready_batch, reference="R", paid_on=timezone.localdate()
    )
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "compensation.entry.accrued",
        "compensation.entry.approved",
        "compensation.batch.created",
        "compensation.batch.ready",
        "compensation.entry.paid",
        "compensation.batch.paid",
    } <= actions
