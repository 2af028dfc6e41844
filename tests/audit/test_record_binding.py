"""Time entries, promotional uses, terms versions and payout lines are bound by the events that make and
change them: `audit_verify` names the one whose content no longer matches its newest event,
and the one that no event binds (changed or written behind the services' back)."""

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent, AuditTree
from audit.tasks import sequence
from compensation import services as compensation
from compensation.models import PayoutLine
from labour.models import TimeEntry
from labour.services import time_entry_log, time_entry_update
from participants.models import Participation
from programs.models import TermsVersion
from publicity import services as publicity
from tests.audit.tamper import sql
from tests.compensation.conftest import (  # noqa: F401
    _media_in_tmp,
    approve,
    award,
    make_batch,
    participation,
    participation2,
)
from tests.factories import make_participant
from tests.publicity.conftest import approved, promo_terms  # noqa: F401

TODAY = timezone.localdate()


def _newest_event(obj) -> AuditEvent:
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).latest("id")


def _fails(match):
    with pytest.raises(CommandError, match=match):
        call_command("audit_verify")


@pytest.fixture
def logged(participant, programme):
    entry = time_entry_log(
        actor=participant, programme=programme, date=TODAY, minutes=90, activity="testing"
    )
    sequence()
    call_command("audit_verify")  # intact before anything is touched
    return entry


def test_a_time_entrys_changed_minutes_are_named_with_its_event(logged):
    sql("UPDATE feedback_timeentry SET minutes = 900 WHERE id = %s", [logged.pk])
    _fails(rf"time entry {logged.pk}: minutes differs from its event #{_newest_event(logged).pk}")


def test_a_corrected_time_entry_is_held_against_its_newest_event(logged, participant):
    entry = time_entry_update(
        actor=participant,
        entry=logged,
        date=TODAY,
        minutes=60,
        activity="testing",
        note="Shorter than I first wrote",
    )
    sequence()
    call_command("audit_verify")  # the correction's event binds the corrected entry
    sql("UPDATE feedback_timeentry SET minutes = 90, note = '' WHERE id = %s", [entry.pk])
    _fails(
        rf"time entry {entry.pk}: minutes, note differ from its event #{_newest_event(entry).pk}"
    )


def test_a_time_entry_written_without_an_event_is_named(logged):
    forged = TimeEntry.objects.create(  # as raw SQL would write it: no service, no event
        participation=logged.participation,
        user=logged.user,
        programme=logged.programme,
        terms_version=logged.terms_version,
        date=TODAY - timedelta(days=1),
        minutes=600,
        activity="testing",
    )
    _fails(rf"time entry {forged.pk} has no audit event binding it")


def test_a_promotional_uses_changed_territory_is_named_with_its_event(approved, manager):  # noqa: F811
    use = publicity.use_request(
        actor=manager,
        submission=approved,
        channel="launch_video",
        period_start=TODAY,
        period_end=TODAY + timedelta(days=90),
        territory="Europe",
        credit_line="Film by Participant",
    )
    sequence()
    call_command("audit_verify")
    sql("UPDATE publicity_promotionaluse SET territory = 'Worldwide' WHERE id = %s", [use.pk])
    _fails(rf"promotional use {use.pk}: territory differs from its event #{_newest_event(use).pk}")


def test_a_published_terms_versions_changed_rate_is_named_with_its_event(programme):
    terms = TermsVersion.objects.get(programme=programme, number=1)
    sequence()
    call_command("audit_verify")
    sql("UPDATE programs_termsversion SET hourly_rate = 2.50 WHERE id = %s", [terms.pk])
    _fails(
        rf"terms version {terms.pk}: hourly_rate differs from its event #{_newest_event(terms).pk}"
    )


@pytest.fixture
def built(participation, participation2, award, approve, make_batch):  # noqa: F811
    approve(award(participation, "10.00"), award(participation, "0.10"), award(participation2, "7"))
    batch = make_batch()
    sequence()
    call_command("audit_verify")  # each line made with its own event: the flow verifies
    return batch


def test_a_payout_lines_changed_amount_is_named_with_its_event(built):
    line = built.lines.order_by("pk").first()
    sql("UPDATE compensation_payoutline SET amount = 1000.10 WHERE id = %s", [line.pk])
    _fails(rf"payout line {line.pk}: amount differs from its event #{_newest_event(line).pk}")


def test_a_payout_lines_changed_payee_name_is_named_with_its_event(built):
    line = built.lines.order_by("pk").last()
    sql("UPDATE compensation_payoutline SET name = 'Someone Else' WHERE id = %s", [line.pk])
    _fails(rf"payout line {line.pk}: name differs from its event #{_newest_event(line).pk}")


def test_a_paid_payout_line_is_held_against_its_payment_event(built, finance):
    compensation.batch_mark_paid(actor=finance, batch=built, reference="BANK-9", paid_on=TODAY)
    sequence()
    call_command("audit_verify")  # the payment's event binds the paid line
    line = built.lines.order_by("pk").first()
    event = _newest_event(line)
    assert event.action == "compensation.entry.paid"
    sql(
        "UPDATE compensation_payoutline SET state = 'sent', paid_reference = '' WHERE id = %s",
        [line.pk],
    )
    _fails(rf"payout line {line.pk}: paid_reference, state differ from its event #{event.pk}")


def test_a_payout_line_written_without_an_event_is_named(built, programme):
    stranger = make_participant(programme)
    forged = PayoutLine.objects.create(  # as raw SQL would write it: no service, no event
        batch=built,
        participation=Participation.objects.get(user=stranger, programme=programme),
        name="Forged",
        email="forged@example.com",
        amount="500.00",
        currency="EUR",
        entries_count=1,
        paid_reference="X",
    )
    _fails(rf"payout line {forged.pk} has no audit event binding it")


def test_payout_lines_written_before_binding_keep_verifying(built, programme):
    """What audit 0009 does on a database holding lines no event binds: they are marked as
    made before binding, and verify; a line written after them is still named."""
    older = PayoutLine.objects.create(  # as the bulk INSERT wrote lines before 0009
        batch=built,
        participation=Participation.objects.get(
            user=make_participant(programme), programme=programme
        ),
        name="Paid before binding",
        email="older@example.com",
        amount="12.00",
        currency="EUR",
        entries_count=1,
    )
    _fails(rf"payout line {older.pk} has no audit event binding it")
    tree = AuditTree.objects.get(pk=1)  # as before 0009: payout lines were not a bound model
    del tree.unbound_before["compensation.payoutline"]
    tree.save(update_fields=["unbound_before"])
    migration = importlib.import_module("audit.migrations.0009_bind_payout_lines")
    migration.mark_unbound(django_apps, SimpleNamespace(connection=connection))
    call_command("audit_verify")  # the older line has nothing to be held against
    test_a_payout_line_written_without_an_event_is_named(built, programme)
