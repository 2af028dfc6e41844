"""Fixtures of the recourse tests: a programme paying per finding, with a finding closed."""

import pytest

from feedback import services as feedback
from programs.models import ProgrammeRole, TermsVersion
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
