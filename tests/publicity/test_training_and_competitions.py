"""Training use per output (where the terms make it a choice), readable by the product team
through the API; competitions with published odds, entries as outputs, nobody judging their
own entry, prizes to the ledger once; the public figures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from approvals import services as approvals
from compensation.models import LedgerEntry
from core.errors import DomainError, NotAllowed
from programs.models import ProgrammeRole
from publicity import services
from publicity.models import Competition, TrainingChoice
from tests.conftest import summarise

from .conftest import set_terms


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _cleared(client, slug, submission):
    rows = client.get(f"/api/v1/programmes/{slug}/training/").json()
    return {row["submission"]: row["training_allowed"] for row in rows}[submission.pk]


def test_the_tester_sets_training_per_output_and_a_default_and_withdraws_it_for_the_future(
    approved, programme, participant, reviewer, as_user
):
    team = _api(reviewer)  # the product team reads which outputs may be used
    assert _cleared(team, "alpha", approved) is False  # nothing chosen: not used
    client = as_user(participant)
    page = client.get(f"/outputs/{approved.pk}/").content.decode()
    assert "not cleared" in page and "Allow training use" in page
    client.post(f"/publicity/outputs/{approved.pk}/training/", {"allowed": "yes"})
    assert _cleared(team, "alpha", approved) is True
    # Withdrawn for the future: a new row, the old one kept.
    response = _api(participant).post(
        "/api/v1/programmes/alpha/training/",
        {"submission": approved.pk, "allowed": False},
        format="json",
    )
    assert response.status_code == 201
    assert _cleared(team, "alpha", approved) is False
    assert TrainingChoice.objects.count() == 2
    # A default covers outputs without their own choice.
    other = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Other",
        intended_use="private",
        url="https://example.org/other.mp4",
    )
    client.post("/publicity/programmes/alpha/training/", {"allowed": "yes"})
    assert _cleared(team, "alpha", other) is True
    assert _cleared(team, "alpha", approved) is False  # its own choice wins


def test_training_is_not_a_choice_under_terms_that_decide_it(
    approved, programme, participant, participant2
):
    set_terms(programme, training_use="no")
    with pytest.raises(DomainError, match="not a choice"):
        services.training_choose(
            actor=participant, programme=programme, submission=approved, allowed=True
        )
    with pytest.raises(NotAllowed):
        services.training_choose(
            actor=participant2, programme=programme, submission=approved, allowed=True
        )
    assert TrainingChoice.objects.count() == 0
    assert _cleared(_api(participant), "alpha", approved) is False


def _competition(manager, programme, **changes):
    values = {
        "title": "Launch film",
        "criteria": "Best use of the product",
        "prize_count": 2,
        "prize_amount": "500.00",
        "judges": "The programme's reviewers",
        "entry_deadline": timezone.now() + timedelta(days=7),
        "results_by": timezone.now() + timedelta(days=14),
    }
    values.update(changes)
    return services.competition_create(actor=manager, programme=programme, **values)


def test_a_competition_runs_from_entries_to_prizes_with_its_odds_public(
    approved, programme, manager, reviewer, participant, participant2, as_user, client
):
    manage = as_user(manager)
    response = manage.post(
        "/publicity/programmes/alpha/competitions/new/",
        {
            "title": "Launch film",
            "criteria": "Best use of the product",
            "prize_count": "1",
            "prize_amount": "500.00",
            "currency": "EUR",
            "judges": "The programme's reviewers",
            "entry_deadline": (timezone.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
            "results_by": (timezone.now() + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    competition = Competition.objects.get()
    other = approvals.submission_create(
        actor=participant2,
        programme=programme,
        title="Rival",
        intended_use="social",
        url="https://example.org/rival.mp4",
    )
    approvals.submission_claim(actor=reviewer, submission=other)
    approvals.submission_decide(submission=other, actor=reviewer, outcome="approved")
    tester = as_user(participant)
    assert (
        tester.post(
            f"/competitions/{competition.pk}/enter/", {"submission": approved.pk}
        ).status_code
        == 302
    )
    services.competition_enter(actor=participant2, competition=competition, submission=other)
    with pytest.raises(DomainError, match="already entered"):
        services.competition_enter(actor=participant, competition=competition, submission=approved)
    with pytest.raises(DomainError, match="still open"):
        services.competition_publish(actor=reviewer, competition=competition, winners=[1])
    Competition.objects.filter(pk=competition.pk).update(
        entry_deadline=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(DomainError, match="closed"):
        services.competition_enter(actor=participant2, competition=competition, submission=other)
    first = competition.entries.get(submission=approved)
    with pytest.raises(DomainError, match="has 1 prizes, not 2"):
        services.competition_publish(
            actor=reviewer, competition=competition, winners=[first.pk, first.pk + 1]
        )
    judge = as_user(reviewer)
    assert (
        judge.post(f"/competitions/{competition.pk}/results/", {"winners": [first.pk]}).status_code
        == 302
    )
    competition.refresh_from_db()
    assert competition.status == "published" and competition.odds() == "1 prize among 2 entries"
    prize = LedgerEntry.objects.get(kind="prize", participation__user=participant)
    assert prize.amount == Decimal("500.00") and prize.created_by == reviewer
    client.logout()
    public = client.get(f"/competitions/{competition.pk}/").content.decode()
    assert "1 prize among 2 entries" in public
    figures = client.get("/programmes/alpha/figures.json").json()
    assert figures["competitions"][0]["odds"] == "1 prize among 2 entries"
    listed = client.get("/api/v1/programmes/alpha/competitions/").json()
    assert listed[0]["entries"] == 2 and listed[0]["odds"] == "1 prize among 2 entries"
    with pytest.raises(DomainError, match="already published"):
        services.competition_publish(actor=reviewer, competition=competition, winners=[first.pk])
    assert LedgerEntry.objects.filter(kind="prize").count() == 1


def test_nobody_judges_a_competition_they_entered(approved, programme, manager, participant):
    competition = _competition(manager, programme)
    services.competition_enter(actor=participant, competition=competition, submission=approved)
    # Made a reviewer after entering (staff cannot enter: issue 33), they still cannot judge.
    ProgrammeRole.objects.create(programme=programme, user=participant, role="reviewer")
    from programs import policy

    policy.forget(participant)
    Competition.objects.filter(pk=competition.pk).update(
        entry_deadline=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(NotAllowed, match="someone else must judge it"):
        services.competition_publish(
            actor=participant, competition=competition, winners=[competition.entries.get().pk]
        )
    assert LedgerEntry.objects.filter(kind="prize").count() == 0


def test_a_competition_with_missing_terms_is_refused_with_the_field(programme, manager, as_user):
    tried = 0
    for changes, message in [
        ({"criteria": ""}, "State the criteria"),
        ({"judges": " "}, "Say who judges"),
        ({"prize_count": 0}, "at least one prize"),
        ({"prize_amount": "-1"}, "positive amount"),
        ({"entry_deadline": timezone.now() - timedelta(days=1)}, "in the future"),
        ({"results_by": timezone.now() + timedelta(days=1)}, "after the entry deadline"),
    ]:
        tried += 1
        with pytest.raises(DomainError, match=message):
            _competition(manager, programme, **changes)
    assert Competition.objects.count() == 0
    summarise(inputs=tried)


def test_the_public_page_counts_uses_paid_and_unpaid_and_training_share(
    approved, programme, manager, participant, client
):
    use = services.use_request(
        actor=manager,
        submission=approved,
        channel="launch_video",
        period_start=timezone.localdate(),
        period_end=timezone.localdate() + timedelta(days=30),
        territory="Worldwide",
        credit_line="Film by Participant",
    )
    services.use_answer(actor=participant, use=use, accept=True)
    services.training_choose(
        actor=participant, programme=programme, submission=approved, allowed=True
    )
    from transparency import figures

    figures.refresh(programme)
    data = client.get("/programmes/alpha/figures.json").json()
    assert data["promotion"]["outputs_used"] == 1
    assert data["promotion"]["uses_paid"] == 1 and data["promotion"]["paid_total"] == "200.00"
    assert data["training"] == {"outputs": 1, "cleared": 1}
    page = client.get("/programmes/alpha/").content.decode()
    assert "Outputs used in promotion" in page and "1 paid (200.00 EUR), 0 unpaid" in page
    print("\nFIGURE publicity: 1 use, 1 paid, 200.00 EUR; training 1 of 1 outputs cleared")


def test_the_public_training_share_equals_the_per_output_answer(
    approved, programme, participant, participant2, reviewer
):
    """The figure is counted per tester; it must equal `training_allowed` over every output."""
    from publicity.selectors import _training_share, training_list

    others = [
        approvals.submission_create(
            actor=person,
            programme=programme,
            title=f"o{i}",
            intended_use="private" if i < 3 else "social",
            url=f"https://example.org/o{i}.mp4",
        )
        for i, person in enumerate([participant, participant, participant2, participant2])
    ]
    services.training_choose(actor=participant, programme=programme, allowed=True)
    services.training_choose(
        actor=participant, programme=programme, submission=others[0], allowed=False
    )
    services.training_choose(
        actor=participant2, programme=programme, submission=others[2], allowed=True
    )
    approvals.submission_withdraw(actor=participant2, submission=others[3])
    expected = sum(row["training_allowed"] for row in training_list(programme, reviewer))
    assert _training_share(programme)["figures"] == {"outputs": 4, "cleared": expected}
    assert expected == 3  # approved and others[1] by default, others[2] by its own choice


def test_a_competition_runs_from_entries_to_prizes_through_the_api(
    approved, programme, manager, reviewer, participant, participant2
):
    """The same story with a generated-client's calls: announce, enter, publish, odds."""
    body = {
        "title": "API film",
        "criteria": "Best use of the product",
        "prize_count": 1,
        "prize_amount": "300.00",
        "judges": "The programme's reviewers",
        "entry_deadline": (timezone.now() + timedelta(days=7)).isoformat(),
        "results_by": (timezone.now() + timedelta(days=14)).isoformat(),
    }
    refused = _api(participant).post("/api/v1/programmes/alpha/competitions/", body, format="json")
    assert refused.status_code == 403 and not Competition.objects.exists()
    made = _api(manager).post("/api/v1/programmes/alpha/competitions/", body, format="json")
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    entered = _api(participant).post(
        f"/api/v1/competitions/{pk}/entries/", {"submission": approved.pk}, format="json"
    )
    assert entered.status_code == 201 and entered.json()["entries"] == 1
    not_theirs = _api(participant2).post(
        f"/api/v1/competitions/{pk}/entries/", {"submission": approved.pk}, format="json"
    )
    assert not_theirs.status_code == 404
    Competition.objects.filter(pk=pk).update(entry_deadline=timezone.now() - timedelta(minutes=1))
    entry = Competition.objects.get(pk=pk).entries.get()
    by_entrant = _api(participant).post(
        f"/api/v1/competitions/{pk}/results/", {"winners": [entry.pk]}, format="json"
    )
    assert by_entrant.status_code == 403
    published = _api(reviewer).post(
        f"/api/v1/competitions/{pk}/results/", {"winners": [entry.pk]}, format="json"
    )
    assert published.status_code == 200, published.json()
    assert published.json()["odds"].startswith("1 prize among 1 ")
    assert LedgerEntry.objects.filter(kind="prize", participation__user=participant).count() == 1
