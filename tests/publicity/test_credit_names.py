"""Credit names (issue 33): a tester sets, per programme, the name competition results show
(display name) and the name credit lines and the proof pages of their outputs carry (credit
name), or chooses to stay unnamed. Credit lines, proof pages and competition results use it;
winners are never shown as hashes, nor by their email."""

from datetime import timedelta
from html import unescape

from django.utils import timezone

from audit.models import AuditEvent
from publicity import services
from publicity.models import Competition, CreditName, PromotionalUse

from .test_promotional_use import ASK, _ask

URL = "/publicity/programmes/alpha/credit/"


def _say(client, **data):
    return client.post(URL, {"display_name": "", "credit_name": "", **data})


def test_a_tester_sets_their_names_and_the_credit_line_and_proof_page_use_them(
    approved, participant, manager, as_user, client
):
    tester = as_user(participant)
    page = tester.get(URL).content.decode()
    assert "no name chosen" in page and 'name="credit_name"' in page
    assert "How I am named" in tester.get("/portal/").content.decode()
    response = _say(tester, display_name="Ana", credit_name="Film by Ana Lima")
    assert response.status_code == 302
    page = unescape(tester.get(URL).content.decode())
    assert "shown as Ana, credited as Film by Ana Lima" in page.replace("<strong>", "").replace(
        "</strong>", ""
    )
    # The manager's form says the tester's choice wins; what they type is not used.
    form = unescape(
        as_user(manager).get(f"/publicity/outputs/{approved.pk}/promote/").content.decode()
    )
    assert "the use is credited “Film by Ana Lima”, whatever you type below" in form
    assert _ask(as_user(manager), approved, credit_line="Made by someone").status_code == 302
    use = PromotionalUse.objects.get(submission=approved)
    assert use.credit_line == "Film by Ana Lima"
    tester.post(f"/publicity/uses/{use.pk}/answer/", {"answer": "accept"})
    proof = unescape(client.get(f"/verify/{approved.verify_token}/").content.decode())
    assert "Made by Film by Ana Lima." in proof
    assert participant.email not in proof
    event = AuditEvent.objects.filter(action="publicity.credit_name.set").get()
    assert event.actor == participant and event.data["credit_name"] == "Film by Ana Lima"


def test_a_tester_who_stays_unnamed_gets_no_credit_line_even_under_named_terms(
    approved, participant, manager, as_user, client
):
    assert _say(as_user(participant), unnamed="on", credit_name="Ana").status_code == 302
    chosen = CreditName.objects.get(participation__user=participant)
    assert chosen.unnamed and chosen.credit_name == "" and chosen.display_name == ""
    # The terms promise named credit; the tester's wish not to be named wins, without refusal.
    assert _ask(as_user(manager), approved, credit_line="Film by Ana").status_code == 302
    use = PromotionalUse.objects.get(submission=approved)
    assert use.credit_line == ""
    as_user(participant).post(f"/publicity/uses/{use.pk}/answer/", {"answer": "accept"})
    proof = client.get(f"/verify/{approved.verify_token}/").content.decode()
    assert "Made by a tester who chose to stay unnamed." in proof and "Film by Ana" not in proof


def test_competition_results_name_winners_as_they_chose_never_by_hash(
    approved, participant, manager, reviewer, as_user, client
):
    competition = services.competition_create(
        actor=manager,
        programme=approved.programme,
        title="Launch film",
        criteria="Best use of the product",
        prize_count=1,
        prize_amount="500.00",
        judges="The programme's reviewers",
        entry_deadline=timezone.now() + timedelta(days=7),
        results_by=timezone.now() + timedelta(days=14),
    )
    entry = services.competition_enter(
        actor=participant, competition=competition, submission=approved
    )
    Competition.objects.filter(pk=competition.pk).update(
        entry_deadline=timezone.now() - timedelta(minutes=1)
    )
    services.competition_publish(actor=reviewer, competition=competition, winners=[entry.pk])
    page = client.get(f"/competitions/{competition.pk}/").content.decode()
    winners = page[page.index('class="winners"') :]
    winners = winners[: winners.index("</ol>")]
    assert "A tester" in winners and approved.content_hash[:16] not in page
    assert participant.email not in page
    _say(as_user(participant), display_name="Ana L.", credit_name="Film by Ana Lima")
    page = client.get(f"/competitions/{competition.pk}/").content.decode()
    assert "<li>Ana L. (<a" in page
    _say(as_user(participant), unnamed="on")
    page = client.get(f"/competitions/{competition.pk}/").content.decode()
    assert "<li>A tester who chose to stay unnamed (<a" in page and "Ana L." not in page


def test_bad_names_are_refused_with_the_reason_and_nothing_changes(
    programme, participant, outsider, as_user
):
    tester = as_user(participant)
    cases = [
        ({}, "Give a display name or a credit name, or choose to stay unnamed."),
        ({"display_name": "Ana\u202e"}, "display name"),
        ({"credit_name": "x" * 121}, "121"),
    ]
    for data, message in cases:
        response = _say(tester, **data)
        assert response.status_code == 400, data
        assert message in unescape(response.content.decode()), (data, message)
    assert not CreditName.objects.exists()
    assert not AuditEvent.objects.filter(action="publicity.credit_name.set").exists()
    # Someone who does not take part in the programme has no name to choose there.
    assert _say(as_user(outsider), display_name="Eve").status_code == 404
    assert not CreditName.objects.exists()


def test_a_name_already_agreed_in_a_use_stays_as_it_was_agreed(
    approved, participant, manager, as_user
):
    _say(as_user(participant), credit_name="Film by Ana")
    _ask(as_user(manager), approved, **{**ASK, "credit_line": ""})
    _say(as_user(participant), credit_name="Film by A. Lima")
    assert PromotionalUse.objects.get(submission=approved).credit_line == "Film by Ana"
