"""After "changes requested" a new version; after a rejection one appeal, decided by someone else."""

import pytest
from django.urls import reverse

from approvals import services
from approvals.models import OutputSubmission
from core.errors import DomainError, NotAllowed
from programs.models import TermsVersion


@pytest.fixture
def rejected(participant, reviewer, reasons, submit):
    s = submit(participant)
    services.submission_decide(
        submission=s, actor=reviewer, outcome="rejected", reason=reasons["brand"], note="Logo."
    )
    s.refresh_from_db()
    return s


def test_resubmitting_after_changes_requested_links_the_new_version_and_keeps_the_old(
    participant, reviewer, reasons, submit, as_user
):
    s = submit(participant)
    services.submission_decide(
        submission=s,
        actor=reviewer,
        outcome="changes_requested",
        reason=reasons["unreleased-feature"],
        note="Crop the settings panel.",
    )
    client = as_user(participant)
    form = client.get(reverse("approvals:resubmit", args=[s.pk]))
    assert form.context["form"].initial["title"] == "Night swim"
    response = client.post(
        reverse("approvals:resubmit", args=[s.pk]),
        {
            "title": "Night swim (cropped)",
            "url": "https://example.org/v2",
            "intended_use": "social",
        },
        follow=True,
    )
    new = OutputSubmission.objects.get(previous=s)
    assert new.version == 2 and new.status == OutputSubmission.Status.PENDING
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.RESUBMITTED
    page = response.content.decode()
    assert "Versions" in page and "Crop the settings panel." not in page  # old note on old page
    old_page = client.get(reverse("approvals:output", args=[s.pk])).content.decode()
    assert "Crop the settings panel." in old_page
    with pytest.raises(DomainError, match="changes requested"):
        services.submission_resubmit(
            actor=participant, previous=s, title="again", intended_use="social", url="https://x.org"
        )


def test_an_appeal_cannot_be_decided_by_the_first_reviewer(
    participant, reviewer, rejected, as_user
):
    services.submission_appeal(actor=participant, submission=rejected, note="It is my own logo.")
    with pytest.raises(NotAllowed, match="different reviewer"):
        services.submission_decide(submission=rejected, actor=reviewer, outcome="approved")
    response = as_user(reviewer).post(
        reverse("approvals:decide", args=[rejected.pk]), {"outcome": "approved"}
    )
    assert response.status_code == 400 and "different reviewer" in response.content.decode()
    rejected.refresh_from_db()
    assert rejected.status == OutputSubmission.Status.APPEALED


def test_a_manager_decides_an_appeal_and_that_is_final(participant, manager, rejected):
    services.submission_appeal(actor=participant, submission=rejected, note="It is my own logo.")
    services.submission_decide(submission=rejected, actor=manager, outcome="approved")
    rejected.refresh_from_db()
    assert rejected.status == OutputSubmission.Status.APPROVED and rejected.verify_token
    assert [d.stage for d in rejected.decisions.order_by("pk")] == ["review", "appeal"]


def test_a_rejection_is_appealed_only_once(participant, second_reviewer, reasons, rejected):
    services.submission_appeal(actor=participant, submission=rejected, note="Please look again.")
    services.submission_decide(
        submission=rejected, actor=second_reviewer, outcome="rejected", reason=reasons["brand"]
    )
    with pytest.raises(DomainError, match="once"):
        services.submission_appeal(actor=participant, submission=rejected, note="And again.")


def test_an_appeal_cannot_request_changes(participant, second_reviewer, reasons, rejected):
    services.submission_appeal(actor=participant, submission=rejected, note="Please look again.")
    with pytest.raises(DomainError, match="appeal"):
        services.submission_decide(
            submission=rejected,
            actor=second_reviewer,
            outcome="changes_requested",
            reason=reasons["brand"],
        )


def test_no_appeal_when_the_terms_allow_none(participant, programme, rejected, as_user):
    TermsVersion.objects.filter(programme=programme).update(appeals_allowed=False)
    rejected.refresh_from_db()
    response = as_user(participant).post(
        reverse("approvals:appeal", args=[rejected.pk]), {"note": "Please"}, follow=True
    )
    assert "do not allow appeals" in response.content.decode()
    rejected.refresh_from_db()
    assert rejected.status == OutputSubmission.Status.REJECTED


def test_an_appeal_needs_a_note(participant, rejected):
    with pytest.raises(DomainError, match="why"):
        services.submission_appeal(actor=participant, submission=rejected, note="  ")


def test_an_appeal_past_due_is_escalated_not_deemed_approved(participant, manager, rejected):
    services.submission_appeal(actor=participant, submission=rejected, note="Please look again.")
    rejected.refresh_from_db()
    from datetime import timedelta

    counts = services.deadlines_sweep(now=rejected.due_at + timedelta(minutes=1))
    assert counts == {"deemed_approved": 0, "escalated": 1, "reminded": 0, "released": 0}
    rejected.refresh_from_db()
    assert rejected.status == OutputSubmission.Status.APPEALED
