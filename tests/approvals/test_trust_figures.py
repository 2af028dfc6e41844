"""Figures that tell the truth, and review and appeals that reach the right people."""

from datetime import timedelta

from django.utils import timezone

from approvals import services
from approvals.models import OutputSubmission, ReasonCode
from core.models import OutboxMessage
from programs.models import Programme
from tests.factories import make_participant


def test_deemed_approvals_are_missed_deadlines_on_the_public_figures(
    programme, reviewer, submit, client
):
    people = [make_participant(programme, email=f"p{i}@example.com") for i in range(5)]
    items = [submit(person, title=f"Item {i}") for i, person in enumerate(people)]
    # Four pass their deadline unreviewed (the terms say: deemed approved); one is decided
    # by a reviewer in time.
    OutputSubmission.objects.filter(pk__in=[s.pk for s in items[:4]]).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    services.deadlines_sweep()
    services.submission_claim(actor=reviewer, submission=items[4])
    services.submission_decide(
        actor=reviewer, submission=items[4], outcome="approved", reason=None, note=""
    )
    figures = client.get(f"/programmes/{programme.slug}/figures.json").json()
    approvals = figures["approvals"]
    assert approvals["deemed_approved"] == 4
    assert approvals["missed_deadline"] == 4
    assert approvals["share_decided_within_deadline_percent"] == 20.0
    page = client.get(f"/programmes/{programme.slug}/").content.decode()
    assert "100.0" not in page
    assert "As of " in page  # when the figures were computed
    print(
        "FIGURE figures: 4 deemed approvals of 5 items counted as missed deadlines (20.0 % in time)"
    )


def test_unpaid_hours_are_valued_at_the_instance_rate_when_the_programme_states_none(
    programme, client, settings
):
    settings.REFERENCE_HOURLY_RATE = "13.90"
    settings.REFERENCE_RATE_SOURCE = "the statutory minimum wage of the test country"
    assert programme.reference_hourly_rate is None
    page = client.get(f"/programmes/{programme.slug}/").content.decode()
    assert "Unpaid hours valued at 13.90 EUR/h (no rate stated by the programme; " in page
    assert "the statutory minimum wage of the test country" in page
    assert "no reference rate stated" not in page


def test_a_programme_that_states_a_reference_rate_is_valued_at_its_own(other_programme, client):
    Programme.objects.filter(pk=other_programme.pk).update(reference_hourly_rate="30.00")
    page = client.get(f"/programmes/{other_programme.slug}/").content.decode()
    assert "Unpaid hours valued at 30.00 EUR/h (stated by the programme)" in page


def test_filing_an_appeal_tells_the_reviewers_and_managers_but_not_the_rejecting_reviewer(
    programme, participant, reviewer, second_reviewer, manager, reasons, submit, as_user
):
    item = submit(participant)
    services.submission_claim(actor=reviewer, submission=item)
    services.submission_decide(
        actor=reviewer, submission=item, outcome="rejected", reason=reasons["brand"], note="x"
    )
    response = as_user(participant).post(
        f"/outputs/{item.pk}/appeal/", {"note": "The logo is our own."}
    )
    assert response.status_code == 302
    told = set(
        OutboxMessage.objects.filter(subject__startswith="Appeal to decide").values_list(
            "recipient__email", flat=True
        )
    )
    assert told == {second_reviewer.email, manager.email}


def test_the_participant_is_told_when_their_item_is_escalated(programme, participant, submit):
    programme.terms.update(on_missed_deadline="escalated")
    item = submit(participant)
    OutputSubmission.objects.filter(pk=item.pk).update(due_at=timezone.now() - timedelta(hours=1))
    services.deadlines_sweep()
    mail = OutboxMessage.objects.get(recipient=participant, subject__contains="was escalated")
    assert "went to the managers" in mail.body


def test_a_new_programme_starts_with_the_default_reason_codes(manager, as_user):
    client = as_user(manager)
    response = client.post(
        "/staff/programmes/new/",
        {"name": "Gamma", "slug": "gamma", "product": "A game", "currency": "EUR"},
    )
    assert response.status_code == 302
    codes = set(ReasonCode.objects.filter(programme__slug="gamma").values_list("code", flat=True))
    assert codes == {code for code, _ in services.DEFAULT_REASONS}
    page = client.get("/review/reasons/").content.decode()
    assert "Depicts a real person" in page
