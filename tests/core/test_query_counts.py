"""The hot pages answer in a fixed number of queries, however much history there is.

The benchmark (`make bench`) measures these pages on a million records; these tests
keep their query counts from growing with the data in the normal suite.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import services as approvals
from compensation import services as compensation
from compensation.models import LedgerEntry
from feedback import services as feedback
from labour import services as labour
from participants.models import Participation
from programs import policy
from programs.models import ProgrammeRole
from tests.factories import ProgrammeFactory, TermsFactory, make_participant, make_staff
from transparency import figures as transparency

pytestmark = pytest.mark.django_db


def _history(programme, participant, manager, n):
    """n submissions, tickets, hours and ledger entries of one participant."""
    participation = Participation.objects.get(user=participant, programme=programme)
    today = timezone.localdate()
    for i in range(n):
        approvals.submission_create(
            actor=participant,
            programme=programme,
            title=f"Output {i}",
            intended_use="social",
            url=f"https://example.org/{i}.mp4",
        )
        feedback.ticket_file(
            actor=participant,
            programme=programme,
            kind="feedback",
            title=f"Ticket {i}",
            description="Something to say.",
        )
        labour.time_entry_log(
            actor=participant,
            programme=programme,
            date=today - timedelta(days=i),
            minutes=60,
            activity="testing",
        )
        compensation.award_create(
            actor=manager,
            participation=participation,
            kind=LedgerEntry.Kind.PRIZE,
            amount="5.00",
            currency="EUR",
            reason=f"Prize {i}",
        )


def test_the_portal_home_takes_at_most_15_queries_whatever_the_history(
    as_user, programme, participant, manager, django_assert_max_num_queries
):
    """Issue 33 added three reads to "needs your action": tickets waiting for information,
    promotional uses waiting for an answer, pay held for a tax form."""
    _history(programme, participant, manager, 2)
    client = as_user(participant)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("portal:home")).status_code == 200
    _history(programme, participant, manager, 10)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("portal:home")).status_code == 200


def test_the_portal_home_takes_at_most_14_queries_with_one_programme_or_three(
    as_user, programme, participant, manager, django_assert_max_num_queries
):
    """Where I stand (hours, outputs, pay, actions) is one grouped read per kind for all my
    programmes: the count is the same with one programme as with three, however many records.
    (14 since a tax form became a term: the forms asked by the terms in force and by the terms
    unpaid pay was earned under are one more read, for every programme at once.)"""
    _history(programme, participant, manager, 3)
    client = as_user(participant)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("portal:home"))
    assert response.status_code == 200 and response.content.decode().count("Key facts") == 1
    for name in ("Gamma", "Delta"):
        other = TermsFactory(programme=ProgrammeFactory(name=name, slug=name.lower())).programme
        make_participant(other, user=participant)
        make_staff(other, ProgrammeRole.Role.MANAGER, user=manager)
        policy.forget(manager)
        _history(other, participant, manager, 4)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("portal:home"))
    html = response.content.decode()
    assert response.status_code == 200 and html.count("Key facts") == 3
    assert "4 waiting" in html and "3 waiting" in html


def test_the_review_queue_first_page_takes_at_most_10_queries_however_long_the_queue(
    as_user, programme, participant, participant2, reviewer, manager, django_assert_max_num_queries
):
    _history(programme, participant, manager, 2)
    client = as_user(reviewer)
    url = reverse("approvals:queue") + f"?status=pending&programme={programme.pk}"
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200
    _history(programme, participant2, manager, 15)
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200 and "Output 14" in response.content.decode()


def test_the_finance_batch_page_takes_a_fixed_number_of_queries_however_many_lines(
    as_user, programme, participant, participant2, manager, finance, django_assert_max_num_queries
):
    today = timezone.localdate()
    for person in (participant, participant2):
        _history(programme, person, manager, 3)
    compensation.entries_approve(
        actor=finance, entry_ids=LedgerEntry.objects.values_list("pk", flat=True)
    )
    batch = compensation.batch_create(
        actor=finance,
        programmes=[programme],
        currency="EUR",
        period_start=today - timedelta(days=30),
        period_end=today,
        background=False,
    )
    client = as_user(finance)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("compensation:batch", args=[batch.pk]))
    assert response.status_code == 200 and batch.lines.count() == 2


def test_the_transparency_page_reads_its_cached_figures_in_a_fixed_number_of_queries(
    client, programme, participant, manager, django_assert_max_num_queries
):
    _history(programme, participant, manager, 3)
    transparency.refresh(programme)
    url = reverse("transparency:detail", args=[programme.slug])
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
