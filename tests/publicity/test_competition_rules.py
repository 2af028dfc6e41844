"""Competitions (issue 33): only outputs approved for a public use may enter; staff of a
programme cannot enter its competitions; an entry can be withdrawn before the deadline; the
page says closed once the deadline passed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import services as approvals
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from programs.models import ProgrammeRole
from publicity import services
from publicity.models import Competition
from tests.factories import make_participant


def _competition(manager, programme):
    return services.competition_create(
        actor=manager,
        programme=programme,
        title="Launch film",
        criteria="Best use of the product",
        prize_count=1,
        prize_amount="500.00",
        judges="The programme's reviewers",
        entry_deadline=timezone.now() + timedelta(days=7),
        results_by=timezone.now() + timedelta(days=14),
    )


def _output(user, programme, reviewer, *, title, use="social", outcome="approved"):
    submission = approvals.submission_create(
        actor=user,
        programme=programme,
        title=title,
        intended_use=use,
        url=f"https://example.org/{title.lower().replace(' ', '-')}.mp4",
    )
    if outcome:
        approvals.submission_claim(actor=reviewer, submission=submission)
        approvals.submission_decide(
            submission=submission,
            actor=reviewer,
            outcome=outcome,
            **(
                {"reason": "quality", "note": "Not representative"} if outcome == "rejected" else {}
            ),
        )
    submission.refresh_from_db()
    return submission


def test_only_outputs_approved_for_public_use_may_enter(
    programme, manager, reviewer, participant, as_user
):
    competition = _competition(manager, programme)
    # Under these terms a private output needs no approval: it stands approved, for private use.
    private = _output(participant, programme, reviewer, title="Diary", use="private", outcome=None)
    pending = _output(participant, programme, reviewer, title="Draft", outcome=None)
    public = _output(participant, programme, reviewer, title="Night swim")
    assert private.is_approved and not pending.is_approved
    with pytest.raises(DomainError, match="approved for private use only"):
        services.competition_enter(actor=participant, competition=competition, submission=private)
    with pytest.raises(DomainError, match="only an approved output may enter"):
        services.competition_enter(actor=participant, competition=competition, submission=pending)
    page = as_user(participant).get(f"/competitions/{competition.pk}/").content.decode()
    choices = page[page.index('name="submission"') :]
    assert "Night swim" in choices and "Diary" not in choices and "Draft" not in choices
    services.competition_enter(actor=participant, competition=competition, submission=public)
    assert competition.entries.count() == 1


def test_staff_of_a_programme_cannot_enter_its_competitions(
    programme, manager, reviewer, participant, as_user
):
    competition = _competition(manager, programme)
    output = _output(participant, programme, reviewer, title="Night swim")
    ProgrammeRole.objects.create(programme=programme, user=participant, role="manager")
    from programs import policy

    policy.forget(participant)
    with pytest.raises(NotAllowed, match="Staff of Alpha cannot enter its competitions"):
        services.competition_enter(actor=participant, competition=competition, submission=output)
    page = as_user(participant).get(f"/competitions/{competition.pk}/").content.decode()
    assert "staff cannot enter its competitions" in page and "Enter this output" not in page
    assert not competition.entries.exists()


def test_an_entry_is_withdrawn_before_the_deadline_and_the_page_says_closed_after_it(
    programme, manager, reviewer, participant, as_user
):
    competition = _competition(manager, programme)
    output = _output(participant, programme, reviewer, title="Night swim")
    client = as_user(participant)
    client.post(f"/competitions/{competition.pk}/enter/", {"submission": output.pk})
    page = client.get(f"/competitions/{competition.pk}/").content.decode()
    assert "Open for entries until" in page and "Withdraw this entry" in page
    response = client.post(f"/competitions/{competition.pk}/withdraw/", {"submission": output.pk})
    assert response.status_code == 302
    assert not competition.entries.exists()
    assert AuditEvent.objects.filter(action="publicity.competition.entry_withdrawn").exists()
    assert competition.odds() == "1 prize among 0 entries"

    client.post(f"/competitions/{competition.pk}/enter/", {"submission": output.pk})
    Competition.objects.filter(pk=competition.pk).update(
        entry_deadline=timezone.now() - timedelta(minutes=1)
    )
    page = client.get(f"/competitions/{competition.pk}/").content.decode()
    assert "Closed for entries; results by" in page and "Open for entries" not in page
    assert "Withdraw this entry" not in page and "Enter this output" not in page
    listing = client.get(f"/programmes/{programme.slug}/competitions/").content.decode()
    assert "Closed for entries" in listing
    with pytest.raises(DomainError, match="closed"):
        services.competition_entry_withdraw(
            actor=participant, competition=competition, submission=output
        )
    assert competition.entries.count() == 1
    other = make_participant(programme, email="other@example.com")
    with pytest.raises(NotAllowed):
        services.competition_entry_withdraw(actor=other, competition=competition, submission=output)
