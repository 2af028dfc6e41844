"""Recourse: a tester contests a decision that costs them (a closed finding, disputed hours);
someone other than the decision's maker answers in writing before the date the terms promise;
winning changes the decision (the finding accepted and its bounty accrued, the hours
confirmed); one contest per decision, then a manager's final word, then nothing more."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.describe import VERBS
from audit.models import AuditEvent
from compensation.models import LedgerEntry
from core.businessdays import add_business_days
from core.models import OutboxMessage
from feedback import services as feedback
from feedback.models import Ticket
from labour import services as labour
from labour.models import TimeEntry
from recourse import services
from recourse.models import Contest
from tests.factories import make_participant, make_staff

pytestmark = pytest.mark.django_db

WHY = {"reason": "reproducible", "text": "It reproduces on every run.", "evidence": "Steps 1-3"}


def contest_ticket(client, ticket, **fields):
    return client.post(f"/contests/new/ticket/{ticket.pk}/", {**WHY, **fields})


def answer(client, contest, outcome, text="We looked again."):
    return client.post(f"/contests/{contest.pk}/", {"outcome": outcome, "answer": text})


def test_the_reporter_sees_a_contest_link_beside_a_closed_finding_and_files_one(
    as_user, closed_ticket, teamer
):
    client = as_user(teamer)
    page = client.get(f"/tickets/{closed_ticket.pk}/").content.decode()
    assert f'href="/contests/new/ticket/{closed_ticket.pk}/"' in page
    form = client.get(f"/contests/new/ticket/{closed_ticket.pk}/").content.decode()
    assert "It can be reproduced (steps attached)" in form  # the programme's list of reasons

    response = contest_ticket(client, closed_ticket)

    contest = Contest.objects.get()
    assert response.status_code == 302 and response.url == f"/contests/{contest.pk}/"
    assert (contest.kind, contest.round, contest.status) == ("ticket", 1, "open")
    assert contest.decision_maker.email == "reviewer@example.com"
    assert contest.reason_label == "It can be reproduced (steps attached)"
    detail = client.get(response.url).content.decode()
    assert "Answer due" in detail and contest.due_at.strftime("%Y-%m-%d") in detail
    assert "Waiting for an answer" in detail
    assert "/contests/" in client.get("/contests/").content.decode()


def test_the_answer_is_due_in_business_days_of_the_programmes_calendar(
    as_user, closed_ticket, teamer, monkeypatch
):
    # Filed on Monday 12 July 2027: 5 business days skip Bastille Day (Wednesday 14, FR)
    # and the weekend: due on Tuesday 20 July, not Monday 19 as without the calendar.
    filed = timezone.make_aware(timezone.datetime(2027, 7, 12, 10, 0))
    monkeypatch.setattr(timezone, "now", lambda: filed)
    contest_ticket(as_user(teamer), closed_ticket)
    contest = Contest.objects.get()
    assert contest.due_at.date() == date(2027, 7, 20)
    assert add_business_days(filed, 5, "").date() == date(2027, 7, 19)
    page = as_user(teamer).get(f"/contests/{contest.pk}/").content.decode()
    assert "2027-07-20" in page


def test_a_won_contest_accepts_the_finding_and_accrues_its_bounty(
    as_user, client, closed_ticket, teamer, second_reviewer
):
    contest_ticket(as_user(teamer), closed_ticket)
    contest = Contest.objects.get()
    staff = as_user(second_reviewer)
    assert f"/contests/{contest.pk}/" in staff.get("/contests/open/").content.decode()

    response = answer(staff, contest, "upheld", "You are right: it reproduces.")

    assert response.status_code == 302
    closed_ticket.refresh_from_db()
    assert closed_ticket.status == Ticket.Status.ACCEPTED
    bounty = LedgerEntry.objects.get(kind="bounty")
    assert (bounty.amount, bounty.participation.user) == (Decimal("500.00"), teamer)
    contest.refresh_from_db()
    assert (contest.status, contest.decided_by, contest.answer) == (
        "upheld",
        second_reviewer,
        "You are right: it reproduces.",
    )
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"recourse.contest.opened", "recourse.contest.decided"} <= actions
    assert "recourse.contest.decided" in VERBS
    told = OutboxMessage.objects.filter(to_email="teamer@example.com")
    assert told.filter(subject__contains="Won: the decision was changed").exists()
    page = as_user(teamer).get(f"/contests/{contest.pk}/").content.decode()
    assert "You are right: it reproduces." in page


def test_the_maker_of_the_decision_is_refused_as_its_answerer(
    as_user, closed_ticket, teamer, reviewer
):
    contest_ticket(as_user(teamer), closed_ticket)
    contest = Contest.objects.get()
    client = as_user(reviewer)
    page = client.get(f"/contests/{contest.pk}/").content.decode()
    assert "Send the answer" not in page

    response = answer(client, contest, "dismissed")

    assert response.status_code == 403
    assert "You made the decision contested" in response.content.decode()
    contest.refresh_from_db()
    assert contest.status == "open"
    with pytest.raises(Exception, match="You made the decision contested"):
        services.contest_decide(actor=reviewer, contest=contest, upheld=False, answer="No.")


def test_a_lost_contest_leaves_the_decision_then_a_manager_gives_the_final_word(
    as_user, closed_ticket, teamer, second_reviewer, manager
):
    tester = as_user(teamer)
    contest_ticket(tester, closed_ticket)
    first = Contest.objects.get()
    answer(as_user(second_reviewer), first, "dismissed", "It does not reproduce here.")
    closed_ticket.refresh_from_db()
    assert closed_ticket.status == "wont_fix" and not LedgerEntry.objects.exists()
    tester = as_user(teamer)
    page = tester.get(f"/contests/{first.pk}/").content.decode()
    assert "Ask a manager for the final word" in page

    contest_ticket(tester, closed_ticket, text="Please look again.")
    final = Contest.objects.get(round=2)
    assert final.is_final
    # The reviewer who answered the first contest is not a manager: refused; the manager answers.
    assert answer(as_user(second_reviewer), final, "upheld").status_code == 403
    assert answer(as_user(manager), final, "dismissed", "The decision stands.").status_code == 302

    again = contest_ticket(as_user(teamer), closed_ticket, text="Once more.")
    assert again.status_code == 400
    assert "a manager gave the final word" in again.content.decode()
    assert Contest.objects.count() == 2


def test_a_decision_already_contested_cannot_be_contested_twice_at_once(
    as_user, closed_ticket, teamer
):
    tester = as_user(teamer)
    contest_ticket(tester, closed_ticket)
    response = contest_ticket(tester, closed_ticket, text="Again")
    assert response.status_code == 400
    assert response.request["PATH_INFO"] == f"/contests/new/ticket/{closed_ticket.pk}/"
    assert "already contested" in response.content.decode()
    assert Contest.objects.count() == 1


def test_an_accepted_ticket_or_someone_elses_ticket_cannot_be_contested(
    as_user, redteam, teamer, reviewer, closed_ticket
):
    other = make_participant(redteam, email="other@example.com")
    assert as_user(other).get(f"/contests/new/ticket/{closed_ticket.pk}/").status_code == 404
    open_ticket = feedback.ticket_file(
        actor=teamer, programme=redteam, kind="feedback", title="Nice", description="Good"
    )
    response = contest_ticket(as_user(teamer), open_ticket)
    assert response.status_code == 400
    assert "only a duplicate, not reproducible or won" in response.content.decode()
    assert not Contest.objects.exists()


def test_bad_input_is_answered_with_a_message_and_changes_nothing(as_user, closed_ticket, teamer):
    tester = as_user(teamer)
    assert contest_ticket(tester, closed_ticket, reason="invented").status_code == 400
    assert contest_ticket(tester, closed_ticket, text="").status_code == 400
    assert contest_ticket(tester, closed_ticket, text="x" * 5000).status_code == 400
    assert not Contest.objects.exists()


def test_won_contest_of_disputed_hours_confirms_them(
    as_user, redteam, teamer, reviewer, second_reviewer
):
    entry = labour.time_entry_log(
        actor=teamer,
        programme=redteam,
        date=timezone.localdate() - timedelta(days=2),
        minutes=120,
        activity="testing",
        note="Red teaming",
    )
    labour.time_entry_dispute(actor=reviewer, entry=entry, reason="Too long")
    tester = as_user(teamer)
    week = tester.get(f"/hours/?week={entry.date.isoformat()}").content.decode()
    assert f'href="/contests/new/hours/{entry.pk}/"' in week

    response = tester.post(f"/contests/new/hours/{entry.pk}/", WHY | {"reason": "misread"})
    contest = Contest.objects.get()
    assert response.url == f"/contests/{contest.pk}/" and contest.kind == "hours"
    assert answer(as_user(reviewer), contest, "upheld").status_code == 403
    assert answer(as_user(second_reviewer), contest, "upheld").status_code == 302

    entry.refresh_from_db()
    assert (entry.status, entry.reviewed_by) == (TimeEntry.Status.CONFIRMED, second_reviewer)


def test_an_overdue_contest_escalates_to_the_managers_then_tells_the_tester(
    as_user, closed_ticket, teamer, manager
):
    contest_ticket(as_user(teamer), closed_ticket)
    contest = Contest.objects.get()
    sent = OutboxMessage.objects.filter(subject__contains=contest.subject_label)
    before = set(sent.values_list("pk", flat=True))
    assert services.contests_escalate(now=contest.due_at - timedelta(hours=1)) == (0, 0)

    late = contest.due_at + timedelta(hours=1)
    assert services.contests_escalate(now=late) == (1, 0)
    new = sent.exclude(pk__in=before)
    assert list(new.values_list("to_email", "subject")) == [
        ("manager@example.com", f"Overdue contest: {contest.subject_label}")
    ]
    assert services.contests_escalate(now=late) == (0, 0)  # once

    later = add_business_days(late, 1, "FR") + timedelta(minutes=1)
    assert services.contests_escalate(now=later) == (0, 1)
    told = sent.exclude(pk__in=before).order_by("pk").last()
    assert told.to_email == "teamer@example.com" and "is late" in told.subject
    Contest.objects.filter(pk=contest.pk).update(due_at=timezone.now() - timedelta(days=1))
    staff_page = as_user(manager).get("/contests/open/").content.decode()
    assert "overdue" in staff_page


def test_the_staff_list_and_contest_pages_are_closed_to_outsiders(
    as_user, closed_ticket, teamer, outsider
):
    contest_ticket(as_user(teamer), closed_ticket)
    contest = Contest.objects.get()
    client = as_user(outsider)
    assert client.get(f"/contests/{contest.pk}/").status_code == 404
    assert client.get("/contests/open/").status_code == 403
    assert answer(client, contest, "upheld").status_code == 404


def test_the_staff_home_counts_open_and_overdue_contests_each_linking_to_exactly_those(
    as_user, closed_ticket, teamer, redteam, manager, reviewer
):
    contest_ticket(as_user(teamer), closed_ticket)
    second = feedback.ticket_file(
        actor=teamer, programme=redteam, kind="feedback", title="Slow", description="Slow"
    )
    feedback.ticket_set_status(
        actor=manager, ticket=second, status="duplicate", duplicate_of=closed_ticket
    )
    contest_ticket(as_user(teamer), second)
    late = Contest.objects.get(ticket=closed_ticket)
    Contest.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=1))
    client = as_user(manager)

    home = client.get("/staff/").content.decode()

    # The manager made the second decision: only the first waits for them, and it is late.
    overdue_url = f"/contests/open/?programme={redteam.pk}&amp;overdue=on"
    assert f'<a href="{overdue_url}"><strong>1 contests overdue</strong></a>' in home
    assert "contests to answer</a>" not in home
    listed = client.get(overdue_url.replace("&amp;", "&")).content.decode()
    assert f'href="/contests/{late.pk}/"' in listed
    reviewer_home = as_user(reviewer).get("/staff/").content.decode()
    assert f'href="/contests/open/?programme={redteam.pk}">1 contests to answer' in reviewer_home


def test_reversed_pay_is_contested_from_the_statement_and_a_won_contest_owes_it_again(
    as_user, redteam, teamer, manager, finance, reviewer
):
    from compensation import services as pay
    from participants.models import Participation

    make_staff(redteam, "finance", user=finance)
    participation = Participation.objects.get(user=teamer, programme=redteam)
    prize = pay.award_create(
        actor=manager,
        participation=participation,
        kind="prize",
        amount=Decimal("100.00"),
        currency="EUR",
        reason="Best finding of the month",
    )
    pay.entry_reverse(actor=finance, entry=prize, reason="Awarded twice by mistake")
    tester = as_user(teamer)
    statement = tester.get("/statement/").content.decode()
    assert f'href="/contests/new/pay/{prize.pk}/"' in statement

    response = tester.post(f"/contests/new/pay/{prize.pk}/", WHY | {"reason": "terms"})

    contest = Contest.objects.get()
    assert response.url == f"/contests/{contest.pk}/"
    assert (contest.kind, contest.decision_maker) == ("pay", finance)
    assert answer(as_user(reviewer), contest, "upheld").status_code == 403  # not money staff
    assert answer(as_user(finance), contest, "upheld").status_code == 403  # made the decision
    assert answer(as_user(manager), contest, "upheld", "It was awarded once.").status_code == 302
    restored = LedgerEntry.objects.get(idempotency_key=f"restored:{prize.pk}")
    assert (restored.kind, restored.amount, restored.created_by) == ("prize", prize.amount, manager)
    assert restored.participation == participation and restored.state == "accrued"
    again = as_user(teamer).post(f"/contests/new/pay/{prize.pk}/", WHY | {"reason": "terms"})
    assert again.status_code == 400
    assert "was won and the decision changed" in again.content.decode()
    assert Contest.objects.count() == 1


def test_a_ticket_past_its_triage_date_escalates_to_managers_then_the_reporter_and_shows_on_the_staff_home(
    as_user, redteam, teamer, manager
):
    from feedback.services import tickets_escalate_overdue_triage

    ticket = feedback.ticket_file(
        actor=teamer, programme=redteam, kind="feedback", title="Waiting", description="d"
    )
    due = ticket.triage_due_at  # 2 business days of the FR calendar
    assert tickets_escalate_overdue_triage(now=due - timedelta(minutes=1)) == (0, 0)
    assert tickets_escalate_overdue_triage(now=due + timedelta(minutes=1)) == (1, 0)
    assert OutboxMessage.objects.filter(
        to_email="manager@example.com", subject=f"Triage overdue: ticket #{ticket.pk}"
    ).exists()
    assert tickets_escalate_overdue_triage(now=due + timedelta(minutes=2)) == (0, 0)
    later = add_business_days(due, 1, "FR") + timedelta(minutes=2)
    assert tickets_escalate_overdue_triage(now=later) == (0, 1)
    assert OutboxMessage.objects.filter(
        to_email="teamer@example.com", subject__contains="the triage decision is late"
    ).exists()
    client = as_user(manager)
    home = client.get("/staff/").content.decode()
    link = f"/tickets/triage/?programme={redteam.pk}&amp;status=new&amp;triage_overdue=on"
    assert f'<a href="{link}"><strong>1 tickets past their triage date</strong></a>' in home
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert f"/tickets/{ticket.pk}/" in listed
    assert "feedback.ticket.triage_escalated" in VERBS


def test_a_ticket_shows_its_first_response_date_to_both_sides_and_whether_it_was_kept(
    as_user, redteam, teamer, reviewer
):
    from programs.models import TermsVersion

    TermsVersion.objects.filter(programme=redteam).update(first_response_days=1)
    ticket = feedback.ticket_file(
        actor=teamer, programme=redteam, kind="feedback", title="Hello", description="d"
    )
    due = add_business_days(ticket.created_at, 1, "FR").strftime("%Y-%m-%d %H:%M")
    for person in (teamer, reviewer):
        page = as_user(person).get(f"/tickets/{ticket.pk}/").content.decode()
        assert f"a first response is promised by {due} UTC (1 business day)" in page
    feedback.ticket_comment(author=reviewer, ticket=ticket, body="Looking at it.")
    page = as_user(teamer).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'answered <span class="badge ok">within</span> the promised 1 business day' in page


def _approved_output(person, programme, reviewer, title):
    from approvals import services as approvals

    output = approvals.submission_create(
        actor=person,
        programme=programme,
        title=title,
        intended_use="social",
        url=f"https://example.org/{title}.mp4",
    )
    approvals.submission_claim(actor=reviewer, submission=output)
    approvals.submission_decide(submission=output, actor=reviewer, outcome="approved")
    return output


def test_a_competition_result_is_contested_by_an_entrant_and_a_won_contest_adds_a_prize(
    as_user, programme, participant, participant2, reviewer, manager, settings, tmp_path
):
    from publicity import services as publicity
    from publicity.models import Competition

    settings.MEDIA_ROOT = tmp_path / "media"
    competition = publicity.competition_create(
        actor=manager,
        programme=programme,
        title="Launch film",
        criteria="Best use of the product",
        prize_count=1,
        prize_amount="500.00",
        judges="The programme's reviewers",
        entry_deadline=timezone.now() + timedelta(days=1),
        results_by=timezone.now() + timedelta(days=2),
    )
    entries = {}
    for person in (participant, participant2):
        output = _approved_output(person, programme, reviewer, f"film-{person.pk}")
        entries[person] = publicity.competition_enter(
            actor=person, competition=competition, submission=output
        )
    Competition.objects.filter(pk=competition.pk).update(
        entry_deadline=timezone.now() - timedelta(minutes=1)
    )
    publicity.competition_publish(
        actor=reviewer, competition=competition, winners=[entries[participant].pk]
    )
    lost = entries[participant2]
    page = as_user(participant2).get(f"/competitions/{competition.pk}/").content.decode()
    assert f'href="/contests/new/result/{lost.pk}/"' in page

    as_user(participant2).post(f"/contests/new/result/{lost.pk}/", WHY | {"reason": "terms"})

    contest = Contest.objects.get()
    assert (contest.kind, contest.decision_maker) == ("result", reviewer)
    assert answer(as_user(reviewer), contest, "upheld").status_code == 403  # published them
    assert answer(as_user(manager), contest, "upheld", "It met every criterion.").status_code == 302
    lost.refresh_from_db()
    assert lost.prize_rank == 2
    prize = LedgerEntry.objects.get(kind="prize", participation__user=participant2)
    assert prize.amount == Decimal("500.00") and prize.created_by == manager
    # The winner has nothing to contest: their entry won.
    won = entries[participant]
    response = as_user(participant).post(f"/contests/new/result/{won.pk}/", WHY)
    assert response.status_code == 400 and Contest.objects.count() == 1


def test_the_manager_who_answered_the_first_contest_does_not_give_the_final_word(
    as_user, redteam, closed_ticket, teamer, manager
):
    other_manager = make_staff(redteam, "manager", email="manager2@example.com")
    contest_ticket(as_user(teamer), closed_ticket)
    answer(as_user(manager), Contest.objects.get(), "dismissed", "It stands.")
    contest_ticket(as_user(teamer), closed_ticket, text="A manager, please.")
    final = Contest.objects.get(round=2)

    refused = answer(as_user(manager), final, "upheld")

    assert refused.status_code == 403
    assert "You answered the first contest" in refused.content.decode()
    assert answer(as_user(other_manager), final, "upheld", "Accepted.").status_code == 302
    closed_ticket.refresh_from_db()
    assert closed_ticket.status == Ticket.Status.ACCEPTED


def test_a_standard_reason_reads_in_french_and_is_stored_in_english(as_user, closed_ticket, teamer):
    tester = as_user(teamer)
    form = tester.get(
        f"/contests/new/ticket/{closed_ticket.pk}/", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Cela peut être reproduit (étapes jointes)" in form
    tester.post(f"/contests/new/ticket/{closed_ticket.pk}/", {**WHY}, HTTP_ACCEPT_LANGUAGE="fr")
    contest = Contest.objects.get()
    assert contest.reason_label == "It can be reproduced (steps attached)"
