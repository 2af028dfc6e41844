"""Reviewers claim and decide items of their own programme, with reasons, one decision per item."""

import pytest
from django.urls import reverse

from approvals import services
from approvals.models import OutputSubmission, ReviewDecision
from core.db import AppendOnlyError
from core.errors import DomainError, NotAllowed
from core.models import OutboxMessage


def test_a_reviewer_claims_then_approves_and_the_participant_is_told(
    participant, reviewer, submit, as_user
):
    s = submit(participant)
    client = as_user(reviewer)
    response = client.post(reverse("approvals:claim", args=[s.pk]), follow=True)
    assert "You claimed this item" in response.content.decode()
    response = client.post(
        reverse("approvals:decide", args=[s.pk]), {"outcome": "approved", "note": "Lovely."}
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.APPROVED and s.verify_token
    assert s.claimed_by is None
    message = OutboxMessage.objects.get(recipient=participant)
    assert "was approved" in message.body and "Lovely." in message.body


def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(
    participant, reviewer, reasons, submit, as_user
):
    s = submit(participant)
    with pytest.raises(DomainError, match="reason"):
        services.submission_decide(submission=s, actor=reviewer, outcome="rejected")
    response = as_user(reviewer).post(
        reverse("approvals:decide", args=[s.pk]), {"outcome": "rejected", "note": "No."}
    )
    assert response.status_code == 400
    assert "Choose a reason" in response.content.decode()
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.PENDING
    assert not ReviewDecision.objects.exists()


def test_a_rejection_with_a_reason_and_a_note_reaches_the_participant(
    participant, reviewer, reasons, submit, as_user
):
    s = submit(participant)
    as_user(reviewer).post(
        reverse("approvals:decide", args=[s.pk]),
        {"outcome": "rejected", "reason": reasons["real-person"].pk, "note": "That is the CEO."},
    )
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.REJECTED
    page = as_user(participant).get(reverse("approvals:output", args=[s.pk])).content.decode()
    assert "Depicts a real person" in page and "That is the CEO." in page
    assert "Appeal this rejection" in page


def test_a_reason_of_another_programme_is_refused(
    participant, reviewer, reasons, other_programme, submit
):
    from approvals.models import ReasonCode

    foreign = ReasonCode.objects.create(programme=other_programme, code="x", label="Other")
    s = submit(participant)
    with pytest.raises(DomainError, match="this programme's list"):
        services.submission_decide(submission=s, actor=reviewer, outcome="rejected", reason=foreign)


def test_a_reviewer_of_another_programme_cannot_see_or_decide_the_item(
    participant, other_reviewer, submit, as_user
):
    s = submit(participant)
    client = as_user(other_reviewer)
    assert "Night swim" not in client.get(reverse("approvals:queue")).content.decode()
    assert client.get(reverse("approvals:detail", args=[s.pk])).status_code == 404
    assert client.post(reverse("approvals:claim", args=[s.pk])).status_code == 404
    assert (
        client.post(reverse("approvals:decide", args=[s.pk]), {"outcome": "approved"}).status_code
        == 404
    )
    client.post(reverse("approvals:bulk_approve"), {"ids": [s.pk]})
    with pytest.raises(NotAllowed):
        services.submission_decide(submission=s, actor=other_reviewer, outcome="approved")
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.PENDING


def test_finance_staff_and_participants_cannot_open_the_queue(finance, participant, as_user):
    assert as_user(finance).get(reverse("approvals:queue")).status_code == 403
    assert as_user(participant).get(reverse("approvals:queue")).status_code == 403


def test_a_claimed_item_cannot_be_decided_by_another_reviewer(
    participant, reviewer, second_reviewer, submit
):
    s = submit(participant)
    services.submission_claim(actor=reviewer, submission=s)
    with pytest.raises(DomainError, match="reviewer@example.com"):
        services.submission_decide(submission=s, actor=second_reviewer, outcome="approved")
    with pytest.raises(DomainError, match="is reviewing this item"):
        services.submission_claim(actor=second_reviewer, submission=s)


def test_an_expired_claim_lets_another_reviewer_take_the_item(
    participant, reviewer, second_reviewer, submit, settings
):
    settings.REVIEW_CLAIM_MINUTES = 0
    s = submit(participant)
    services.submission_claim(actor=reviewer, submission=s)
    s = services.submission_claim(actor=second_reviewer, submission=s)
    assert s.claimed_by == second_reviewer


def test_a_decided_item_cannot_be_decided_again(participant, reviewer, second_reviewer, submit):
    s = submit(participant)
    services.submission_decide(submission=s, actor=reviewer, outcome="approved")
    with pytest.raises(DomainError, match="already been decided"):
        services.submission_decide(submission=s, actor=second_reviewer, outcome="approved")
    assert ReviewDecision.objects.count() == 1


def test_a_decision_is_never_edited_or_deleted(participant, reviewer, submit):
    s = submit(participant)
    decision = services.submission_decide(submission=s, actor=reviewer, outcome="approved")
    decision.note = "changed"
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        decision.delete()
    with pytest.raises(AppendOnlyError):
        ReviewDecision.objects.filter(pk=decision.pk).update(note="x")


def test_bulk_approve_approves_the_selection_and_reports_what_it_skipped(
    participant, participant2, reviewer, second_reviewer, submit, as_user
):
    a = submit(participant, title="A")
    b = submit(participant2, title="B")
    c = submit(participant, title="C")
    services.submission_claim(actor=second_reviewer, submission=c)
    response = as_user(reviewer).post(
        reverse("approvals:bulk_approve"), {"ids": [a.pk, b.pk, c.pk]}, follow=True
    )
    page = response.content.decode()
    assert "2 items approved." in page and "“C”" in page
    statuses = dict(OutputSubmission.objects.values_list("title", "status"))
    assert statuses == {"A": "approved", "B": "approved", "C": "in_review"}


def test_the_queue_filters_by_intended_use_and_overdue(participant, reviewer, submit, as_user):
    submit(participant, title="Press still", intended_use="press")
    late = submit(participant, title="Late one")
    from django.utils import timezone

    OutputSubmission.objects.filter(pk=late.pk).update(due_at=timezone.now())
    client = as_user(reviewer)
    page = client.get(reverse("approvals:queue"), {"intended_use": "press"}).content.decode()
    assert "Press still" in page and "Late one" not in page
    page = client.get(reverse("approvals:queue"), {"overdue": "on"}).content.decode()
    assert "Late one" in page and "Press still" not in page


def test_the_queue_is_sorted_by_due_time_and_paged_by_key(
    participant, reviewer, programme, submit, as_user
):
    from datetime import timedelta

    from django.utils import timezone

    items = [submit(participant, title=f"Item {i:02d}") for i in range(55)]
    now = timezone.now()
    for i, s in enumerate(items):
        due = now + timedelta(hours=100 - i)
        OutputSubmission.objects.filter(pk=s.pk).update(due_at=due, clock_at=due)
    client = as_user(reviewer)
    first = client.get(reverse("approvals:queue"))
    rows = first.context["page"].items
    assert [r.title for r in rows[:2]] == ["Item 54", "Item 53"]
    assert len(rows) == 50 and first.context["page"].next_url
    second = client.get(reverse("approvals:queue") + first.context["page"].next_url)
    assert [r.title for r in second.context["page"].items] == [
        f"Item {i:02d}" for i in range(4, -1, -1)
    ]


def test_the_queue_query_count_does_not_grow_with_the_rows(
    participant,
    participant2,
    reviewer,
    second_reviewer,
    submit,
    as_user,
    django_assert_max_num_queries,
):
    for i in range(30):
        s = submit(participant if i % 2 else participant2, title=f"Item {i}")
        if i % 3 == 0:
            services.submission_claim(actor=second_reviewer, submission=s)
    client = as_user(reviewer)
    client.get(reverse("approvals:queue"))  # warm the session
    with django_assert_max_num_queries(6):
        response = client.get(reverse("approvals:queue"), {"status": "in_review"})
    assert response.status_code == 200
    with django_assert_max_num_queries(6):
        response = client.get(reverse("approvals:queue"))
    assert len(response.context["page"].items) == 30


def test_managers_keep_the_reason_list_and_reviewers_cannot(programme, manager, reviewer, as_user):
    client = as_user(manager)
    client.post(reverse("approvals:reasons"), {"programme": programme.pk, "label": "Shows a logo"})
    from approvals.models import ReasonCode

    code = ReasonCode.objects.get(programme=programme)
    assert code.code == "shows-a-logo"
    client.post(reverse("approvals:reason_toggle", args=[code.pk]))
    code.refresh_from_db()
    assert not code.active
    assert as_user(reviewer).get(reverse("approvals:reasons")).status_code == 403
    with pytest.raises(NotAllowed):
        services.reason_code_create(actor=reviewer, programme=programme, label="Mine")


def test_bad_filter_values_show_an_empty_queue_not_an_error(participant, reviewer, submit, as_user):
    submit(participant)
    client = as_user(reviewer)
    response = client.get(
        reverse("approvals:queue"), {"programme": "abc", "submitted_from": "yesterday"}
    )
    assert response.status_code == 200
    response = client.get(reverse("approvals:queue"), {"after": "not-a-cursor"})
    assert response.status_code == 200 and "Night swim" in response.content.decode()


def test_the_queue_lists_open_items_only_with_or_without_a_status_filter(
    participant, reviewer, submit, as_user
):
    submit(participant, title="Still open")
    done = submit(participant, title="Already decided")
    OutputSubmission.objects.filter(pk=done.pk).update(status="approved")
    client = as_user(reviewer)
    for params in ({}, {"status": "pending"}, {"status": ""}, {"status": "approved"}):
        page = client.get(reverse("approvals:queue"), params).content.decode()
        assert "Already decided" not in page, params
    assert "Still open" in client.get(reverse("approvals:queue")).content.decode()
    page = client.get(reverse("approvals:queue"), {"status": "in_review"}).content.decode()
    assert "Still open" not in page and "Nothing waiting for review matches" in page


def test_a_refused_decision_keeps_the_item_s_address_and_a_reload_shows_the_item(
    participant, reviewer, reasons, submit, as_user
):
    """The decision form posts to the item's own page: a refusal is shown there, and
    reloading that address shows the item again, not a blank 405."""
    s = submit(participant)
    client = as_user(reviewer)
    page = reverse("approvals:detail", args=[s.pk])
    html = client.get(page + "?sort=oldest").content.decode()
    assert f'action="{page}?sort=oldest" aria-labelledby="decide"' in html
    response = client.post(page, {"outcome": "rejected", "note": "No."})
    assert response.status_code == 400 and "Choose a reason" in response.content.decode()
    assert client.get(page).status_code == 200
    response = client.post(page + "?sort=oldest", {"outcome": "approved"})
    assert response.status_code == 302
    assert response["Location"] == reverse("approvals:queue") + "?sort=oldest"


def test_opening_an_address_that_only_takes_a_form_says_so_and_leads_to_its_page(
    participant, reviewer, submit, as_user
):
    s = submit(participant)
    response = as_user(reviewer).get(reverse("approvals:decide", args=[s.pk]))
    assert response.status_code == 405 and response["Allow"] == "POST"
    html = response.content.decode()
    assert "This address only takes a form" in html
    assert f'href="{reverse("approvals:detail", args=[s.pk])}"' in html
    assert 'aria-label="Main"' in html  # the site's own page, with its menu
