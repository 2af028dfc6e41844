"""Fixtures of the recourse tests: a programme paying per finding, with a finding closed; a
promotional use of a tester's output, accepted, with a fee set."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals import services as approvals
from audit.services import record
from feedback import services as feedback
from programs.models import ProgrammeRole, TermsVersion
from publicity import services as publicity
from tests.factories import ProgrammeFactory, TermsFactory, make_participant, make_staff


@pytest.fixture
def redteam(reviewer, manager):
    programme = TermsFactory(
        programme=ProgrammeFactory(slug="redteam", name="Red team", holiday_calendar="FR"),
        pay_model=TermsVersion.PayModel.BOUNTY,
        hourly_rate=None,
        bounty_table={"low": "50.00", "high": "500.00"},
        contest_days=5,
        triage_days=2,
    ).programme
    make_staff(programme, "reviewer", user=reviewer)
    make_staff(programme, "manager", user=manager)
    return programme


@pytest.fixture
def teamer(redteam):
    return make_participant(redteam, email="teamer@example.com")


@pytest.fixture
def second_reviewer(redteam):
    return make_staff(redteam, ProgrammeRole.Role.REVIEWER, email="second@example.com")


@pytest.fixture
def closed_ticket(redteam, teamer, reviewer):
    ticket = feedback.ticket_file(
        actor=teamer,
        programme=redteam,
        kind="safety_finding",
        title="Model produces a real person's likeness",
        description="Steps inside",
        severity="high",
    )
    return feedback.ticket_set_status(actor=reviewer, ticket=ticket, status="wont_fix")


@pytest.fixture
def use(programme, participant, manager, reviewer, finance, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_staff(programme, "finance", user=finance)
    terms = TermsVersion.objects.get(programme=programme, number=1)
    terms.promotional_use, terms.promotion_fee = "consent", Decimal("200.00")
    terms.promotion_credit = "named"
    terms.content_hash = terms.compute_hash()
    terms.save()
    record(action="programs.terms.draft_updated", obj=terms, programme=programme)
    submission = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Night swim",
        intended_use="social",
        url="https://example.org/night-swim.mp4",
    )
    approvals.submission_claim(actor=reviewer, submission=submission)
    approvals.submission_decide(submission=submission, actor=reviewer, outcome="approved")
    asked = publicity.use_request(
        actor=manager,
        submission=submission,
        channel="advert",
        period_start=timezone.localdate(),
        period_end=timezone.localdate() + timedelta(days=30),
        territory="EU",
        credit_line="Film by the tester",
    )
    return publicity.use_answer(actor=participant, use=asked, accept=True)
