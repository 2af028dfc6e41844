"""The portal home answers "where do I stand?": per programme the deal in force, my week
against the expected hours, my outputs waiting with their clocks, my pay owed and paid,
and what needs me, each with a link to where it is done."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import services as approvals
from approvals.models import OutputSubmission, ReasonCode
from compensation import services as compensation
from compensation.models import LedgerEntry
from labour import services as labour
from labour.models import TimeEntry
from participants.models import Participation
from programs.models import TermsVersion
from tests.factories import TermsFactory

pytestmark = pytest.mark.django_db


def _page(client, person) -> str:
    client.force_login(person)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    return response.content.decode()


def _output(person, programme, title="Clip"):
    return approvals.submission_create(
        actor=person,
        programme=programme,
        title=title,
        intended_use="social",
        url=f"https://example.org/{title.replace(' ', '-')}.mp4",
    )


def test_my_week_is_shown_against_the_hours_the_terms_expect(client, programme, participant):
    today = timezone.localdate()
    labour.time_entry_log(
        actor=participant, programme=programme, date=today, minutes=90, activity="testing"
    )
    labour.time_entry_log(  # last week: not this week's
        actor=participant,
        programme=programme,
        date=today - timedelta(days=8),
        minutes=600,
        activity="testing",
    )
    html = _page(client, participant)
    assert "1.5 h logged, 0.0 h confirmed, of 5.0 h a week the terms expect" in html
    assert "Key facts" in html and "(terms v1)" in html


def test_outputs_waiting_show_when_the_decision_is_due_and_when_they_are_deemed_approved(
    client, programme, participant
):
    submission = _output(participant, programme, "Sunset")
    html = _page(client, participant)
    due = timezone.localtime(submission.due_at).strftime("%Y-%m-%d %H:%M")
    assert "Sunset" in html
    assert f"{due} UTC" in html
    assert f"Deemed approved on {due} UTC" in html
    assert "1 waiting" in html


def test_pay_owed_and_paid_are_shown_per_currency(client, programme, participant, manager, finance):
    participation = Participation.objects.get(user=participant, programme=programme)
    # The terms in force pay in USD too (the programme counts in EUR), at a recorded rate.
    TermsFactory(programme=programme, number=2, currency="USD")
    compensation.rate_record(
        actor=finance,
        currency="USD",
        programme_currency="EUR",
        rate="0.9",
        valid_from=date(2020, 1, 1),
        source="ECB reference rate",
    )
    for amount, currency in (("10.00", "EUR"), ("2.50", "EUR"), ("7.00", "USD")):
        compensation.award_create(
            actor=manager,
            participation=participation,
            kind=LedgerEntry.Kind.PRIZE,
            amount=amount,
            currency=currency,
            reason="Best clip",
        )
    html = _page(client, participant)
    assert "<td>EUR</td><td>12.50</td>" in html
    assert "<td>USD</td><td>7.00</td>" in html


def test_what_needs_me_links_to_where_it_is_done(client, programme, participant, manager, reviewer):
    approvals.reason_codes_add_defaults(actor=manager, programme=programme)
    reason = ReasonCode.objects.filter(programme=programme).first()
    rejected = _output(participant, programme, "Rejected one")
    approvals.submission_decide(
        submission=rejected, actor=reviewer, outcome="rejected", reason=reason, note="No."
    )
    changes = _output(participant, programme, "Needs work")
    approvals.submission_decide(
        submission=changes,
        actor=reviewer,
        outcome="changes_requested",
        reason=reason,
        note="Crop it.",
    )
    entry = labour.time_entry_log(
        actor=participant,
        programme=programme,
        date=timezone.localdate(),
        minutes=60,
        activity="testing",
    )
    labour.time_entry_dispute(actor=reviewer, entry=entry, reason="Not that long.")
    participation = Participation.objects.get(user=participant, programme=programme)
    compensation.award_create(
        actor=manager,
        participation=participation,
        kind=LedgerEntry.Kind.PRIZE,
        amount="5.00",
        currency="EUR",
        reason="Prize",
    )

    html = _page(client, participant)
    assert "Needs your action" in html
    assert reverse("approvals:output", args=[rejected.pk]) in html
    assert "the terms let you appeal once" in html
    assert reverse("approvals:resubmit", args=[changes.pk]) in html
    assert reverse("labour:edit", args=[entry.pk]) in html
    assert "1 hour entry in Alpha was disputed" in html
    assert reverse("compensation:payout_details") in html

    # Once answered, appealed and the details given, those actions are gone.
    labour.time_entry_update(
        actor=participant,
        entry=entry,
        date=entry.date,
        minutes=45,
        activity="testing",
        answer="I was wrong.",
    )
    approvals.submission_appeal(actor=participant, submission=rejected, note="Please look again.")
    compensation.payout_details_set(
        actor=participant,
        legal_name="Pat Tester",
        country="DE",
        method="paypal",
        email="pat@example.com",
    )
    html = _page(client, participant)
    assert reverse("labour:edit", args=[entry.pk]) not in html
    assert "the terms let you appeal once" not in html
    assert reverse("compensation:payout_details") not in html
    assert reverse("approvals:resubmit", args=[changes.pk]) in html
    assert TimeEntry.objects.get(pk=entry.pk).status == TimeEntry.Status.LOGGED


def test_a_rejection_the_terms_do_not_let_me_appeal_is_not_an_action(
    client, programme, participant, manager, reviewer
):
    TermsVersion.objects.filter(programme=programme).update(appeals_allowed=False)
    approvals.reason_codes_add_defaults(actor=manager, programme=programme)
    rejected = _output(participant, programme, "Final")
    approvals.submission_decide(
        submission=rejected,
        actor=reviewer,
        outcome="rejected",
        reason=ReasonCode.objects.filter(programme=programme).first(),
        note="No.",
    )
    assert "appeal once" not in _page(client, participant)


def test_consent_pending_is_an_action_with_the_consent_page(client, programme, participant):
    TermsFactory(programme=programme, number=2, material_change=True)
    html = _page(client, participant)
    assert "Accept the terms of Alpha" in html
    assert reverse("participants:consent", args=[programme.slug]) in html


def test_another_participants_records_never_show_on_my_home(
    client, programme, participant, participant2, manager
):
    _output(participant2, programme, "Not mine")
    labour.time_entry_log(
        actor=participant2,
        programme=programme,
        date=timezone.localdate(),
        minutes=300,
        activity="testing",
    )
    compensation.award_create(
        actor=manager,
        participation=Participation.objects.get(user=participant2, programme=programme),
        kind=LedgerEntry.Kind.PRIZE,
        amount="99.00",
        currency="EUR",
        reason="Theirs",
    )
    html = _page(client, participant)
    assert "Not mine" not in html and "99.00" not in html
    assert "0.0 h logged" in html
    assert OutputSubmission.objects.filter(participant=participant2).count() == 1


def test_only_the_nearest_five_waiting_outputs_are_listed_with_the_count_of_all(
    client, programme, participant
):
    for i in range(7):
        _output(participant, programme, f"Clip{i}")
    html = _page(client, participant)
    assert "7 waiting; the 5 with the nearest deadline" in html
    assert "Clip0" in html and "Clip4" in html and "Clip6" not in html


def test_a_participant_who_is_also_staff_sees_only_their_own_records_on_the_portal(
    client, programme, participant, participant2, manager
):
    from programs import policy
    from programs.models import ProgrammeRole
    from tests.factories import make_staff

    for role in (ProgrammeRole.Role.REVIEWER, ProgrammeRole.Role.FINANCE):
        make_staff(programme, role, user=participant)
    policy.forget(participant)
    _output(participant2, programme, "Theirs")
    compensation.award_create(
        actor=manager,
        participation=Participation.objects.get(user=participant2, programme=programme),
        kind=LedgerEntry.Kind.PRIZE,
        amount="42.00",
        currency="EUR",
        reason="Theirs",
    )
    html = _page(client, participant)
    assert "Theirs" not in html and "42.00" not in html
    assert "Nothing earned yet." in html and "None waiting." in html


def test_disputes_of_an_earlier_week_link_to_that_week_not_this_one(
    client, programme, participant, reviewer
):
    """Issue 33: "See my hours" opened the current week while the disputed entries were in
    another; it opens the week of the first entry to answer."""
    then = timezone.localdate() - timedelta(days=21)
    for minutes in (30, 45):
        entry = labour.time_entry_log(
            actor=participant, programme=programme, date=then, minutes=minutes, activity="testing"
        )
        labour.time_entry_dispute(actor=reviewer, entry=entry, reason="Not that long.")
    html = _page(client, participant)
    assert "2 hour entries in Alpha were disputed" in html
    link = f"/hours/?week={then:%Y-%m-%d}"
    assert f'<a href="{link}">See my hours</a>' in html
    week = client.get(link).content.decode()
    assert week.count("Reason: Not that long.") == 2
