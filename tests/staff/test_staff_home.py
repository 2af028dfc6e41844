"""The staff home says what needs attention: per programme on the person's team, counts of
review items overdue and due soon, tickets to triage, hours to confirm, participants yet to
consent and pay to approve, only those the person's roles allow, each linking to the list
filtered to exactly those items."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import services as approvals
from approvals.models import OutputSubmission
from compensation import services as compensation
from compensation.models import LedgerEntry
from feedback import services as feedback
from labour import services as labour
from participants.models import Participation
from programs import policy
from programs.models import ProgrammeRole
from tests.factories import (
    ProgrammeFactory,
    TermsFactory,
    UserFactory,
    make_participant,
    make_staff,
)

pytestmark = pytest.mark.django_db


def _output(person, programme, title, due_in_hours=None):
    s = approvals.submission_create(
        actor=person,
        programme=programme,
        title=title,
        intended_use="social",
        url=f"https://example.org/{title}.mp4",
    )
    if due_in_hours is not None:
        due = timezone.now() + timedelta(hours=due_in_hours)
        OutputSubmission.objects.filter(pk=s.pk).update(due_at=due, clock_at=due)
    return s


def _work(programme, participant, manager):
    """Two overdue items, one due in 3 h, one due in 3 days; a new ticket; two logged hours;
    one participant yet to consent; one prize to approve."""
    _output(participant, programme, "Late1", due_in_hours=-5)
    _output(participant, programme, "Late2", due_in_hours=-1)
    _output(participant, programme, "Soon", due_in_hours=3)
    _output(participant, programme, "Later", due_in_hours=72)
    feedback.ticket_file(
        actor=participant,
        programme=programme,
        kind="bug",
        title="Crash",
        description="It crashed.",
        severity="high",
    )
    for days in (1, 2):
        labour.time_entry_log(
            actor=participant,
            programme=programme,
            date=timezone.localdate() - timedelta(days=days),
            minutes=60,
            activity="testing",
        )
    make_participant(programme, email="late-consenter@example.com", consent=False)
    compensation.award_create(
        actor=manager,
        participation=Participation.objects.get(user=participant, programme=programme),
        kind=LedgerEntry.Kind.PRIZE,
        amount="5.00",
        currency="EUR",
        reason="Prize",
    )


def _counts(client, person) -> dict[str, tuple[int, str]]:
    client.force_login(person)
    response = client.get(reverse("staff:home"))
    assert response.status_code == 200
    html = response.content.decode()
    return {
        label.strip(): (int(n), url.replace("&amp;", "&"))
        for url, n, label in re.findall(
            r'<li><a href="([^"]+)">(?:<strong>)?(\d+) ([^<]+?)(?:</strong>)?</a>'
            r'(?: <span class="muted">[^<]+</span>)?</li>',
            html,
        )
    }


def test_a_manager_sees_every_count_of_their_programme(client, programme, participant, manager):
    _work(programme, participant, manager)
    counts = _counts(client, manager)
    assert {k: v[0] for k, v in counts.items()} == {
        "review items overdue": 2,
        "review items due within 24 h": 1,
        "review items due later": 1,
        "tickets waiting for triage": 1,
        "hour entries to confirm": 2,
        "participants yet to accept the terms": 1,
    }  # the prize is the manager's own: someone else approves it


def test_each_count_links_to_the_list_showing_exactly_those_items(
    client, programme, participant, manager, reviewer, finance
):
    _work(programme, participant, manager)
    counts = _counts(client, manager)
    overdue = client.get(counts["review items overdue"][1]).content.decode()
    assert "Late1" in overdue and "Late2" in overdue and "Soon" not in overdue
    soon = client.get(counts["review items due within 24 h"][1]).content.decode()
    assert "Soon" in soon and "Late1" not in soon and "Later" not in soon
    assert "Crash" in client.get(counts["tickets waiting for triage"][1]).content.decode()
    consent = client.get(counts["participants yet to accept the terms"][1]).content.decode()
    assert "late-consenter@example.com" in consent and "participant@example.com" not in consent
    pay = _counts(client, finance)["pay entries to approve"]
    assert pay[0] == 1 and "Prize" in client.get(pay[1]).content.decode()


def test_a_reviewer_sees_no_pay_or_consent_counts_and_finance_sees_only_pay(
    client, programme, participant, manager, reviewer, finance
):
    _work(programme, participant, manager)
    reviewer_counts = _counts(client, reviewer)
    assert "review items overdue" in reviewer_counts
    assert "pay entries to approve" not in reviewer_counts
    assert "participants yet to accept the terms" not in reviewer_counts
    assert set(_counts(client, finance)) == {"pay entries to approve"}


def test_a_reviewer_of_another_programme_sees_none_of_its_counts(
    client, programme, participant, manager, other_reviewer
):
    _work(programme, participant, manager)
    client.force_login(other_reviewer)
    html = client.get(reverse("staff:home")).content.decode()
    assert "Alpha" not in html and _counts(client, other_reviewer) == {}


def test_a_participant_who_is_also_a_reviewer_does_not_count_their_own_work(
    client, programme, participant, manager
):
    _work(programme, participant, manager)
    make_staff(programme, ProgrammeRole.Role.REVIEWER, user=participant)
    policy.forget(participant)
    counts = _counts(client, participant)
    assert "review items overdue" not in counts and "hour entries to confirm" not in counts


def test_a_participant_without_a_staff_role_is_refused(client, participant):
    client.force_login(participant)
    assert client.get(reverse("staff:home")).status_code == 403


def test_the_staff_home_takes_the_same_queries_with_one_programme_or_three(
    client, programme, participant, manager, django_assert_max_num_queries
):
    _work(programme, participant, manager)
    # One query per counter (seven since late payments'), the rest the page's own.
    client.force_login(manager)
    client.get(reverse("staff:home"))
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("staff:home"))
    for name in ("Gamma", "Delta"):
        other = TermsFactory(programme=ProgrammeFactory(name=name, slug=name.lower())).programme
        make_staff(other, ProgrammeRole.Role.MANAGER, user=manager)
        tester = make_participant(other, user=UserFactory())
        policy.forget(manager)
        _work(other, tester, manager)
    with django_assert_max_num_queries(12) as three:
        html = client.get(reverse("staff:home")).content.decode()
    assert len(three.captured_queries) == len(one.captured_queries)
    print(f"FIGURE staff home: {len(one.captured_queries)} queries with 1 programme and with 3")
    assert "Gamma" in html and "Delta" in html


def _age(client, person, label) -> str:
    client.force_login(person)
    html = client.get(reverse("staff:home")).content.decode()
    found = re.search(
        rf'{re.escape(label)}</a> <span class="muted">oldest waiting ([^<]+)</span>', html
    )
    return found.group(1).replace("\xa0", " ") if found else ""


def test_items_with_no_deadline_are_counted_with_the_age_of_the_oldest(
    client, programme, participant, manager
):
    """A programme whose terms set no review deadline: its outputs still wait for someone,
    so the home counts them and says how long the oldest has waited."""
    for title, days in (("Old", 46), ("Newer", 2)):
        s = _output(participant, programme, title)
        OutputSubmission.objects.filter(pk=s.pk).update(
            due_at=None, submitted_at=timezone.now() - timedelta(days=days)
        )
    _output(participant, programme, "Later", due_in_hours=72)
    counts = _counts(client, manager)
    assert counts["review items with no deadline"][0] == 2
    assert counts["review items due later"][0] == 1
    assert "nothing waits" not in client.get(reverse("staff:home")).content.decode().lower()
    assert _age(client, manager, "review items with no deadline").startswith("1 month")
    listed = client.get(counts["review items with no deadline"][1]).content.decode()
    assert "Old" in listed and "Newer" in listed and "Later" not in listed
    later = client.get(counts["review items due later"][1]).content.decode()
    assert "Later" in later and "Newer" not in later


def test_pending_applications_are_counted_and_linked_to_exactly_those(
    client, programme, manager, reviewer
):
    from participants import services as participants

    programme.status = "open"
    programme.save(update_fields=["status"])
    waiting = UserFactory(email="applicant@example.com")
    decided = UserFactory(email="decided@example.com")
    for person in (waiting, decided):
        participants.application_submit(
            actor=person, programme=programme, motivation="I test cameras."
        )
    from participants.models import Application

    participants.application_decide(
        actor=manager,
        application=Application.objects.get(user=decided),
        accept=False,
        reason="Full.",
    )
    counts = _counts(client, manager)
    n, url = counts["applications waiting for a decision"]
    assert n == 1
    assert _age(client, manager, "applications waiting for a decision")
    listed = client.get(url).content.decode()
    assert "applicant@example.com" in listed and "decided@example.com" not in listed
    assert "applications waiting for a decision" not in _counts(client, reviewer)


def test_work_no_target_covers_shows_the_age_of_the_oldest_and_every_label_is_translated(
    client, programme, participant, manager, finance
):
    """Hours to confirm, pay to approve and tickets under terms with no triage target have no
    clock that would ever raise them: the home says how long the oldest has waited. And the
    counts read in the reader's language, whichever app gives them."""
    _work(programme, participant, manager)
    assert _age(client, manager, "hour entries to confirm")
    assert _age(client, manager, "tickets waiting for triage")
    assert _age(client, finance, "pay entries to approve")

    from participants import services as participants

    programme.status = "open"
    programme.save(update_fields=["status"])
    participants.application_submit(
        actor=UserFactory(email="applicant@example.com"), programme=programme, motivation="Hi."
    )
    client.force_login(manager)
    french = client.get(reverse("staff:home"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    for english, translated in (
        ("applications waiting for a decision", "candidatures en attente de décision"),
        ("participants yet to accept the terms", "n’ayant pas encore accepté les conditions"),
        ("hour entries to confirm", ""),
    ):
        assert english not in french
        assert translated in french
