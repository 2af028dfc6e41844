"""Nobody acts as staff on their own records, whatever roles they also hold.

`dual` takes part in programme alpha *and* holds every staff role there (small
programmes dogfood with their own team, so this is allowed). Before the policy
redesign they could accept their own ticket, which accrues a bounty to themselves;
here every staff action on their own ticket, output, hours and pay is tried
through the pages and the API, and refused with nothing changed. The reviewer
whose rejection is appealed tries to take the appeal; internal notes and their
files stay with staff.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from approvals import services as approvals
from approvals.models import OutputSubmission, ReasonCode
from compensation import services as pay
from compensation.models import LedgerEntry
from feedback import services as feedback
from feedback.models import Ticket, TicketComment
from labour import services as labour
from labour.models import TimeEntry
from participants.models import Participation
from programs.models import ProgrammeRole
from tests.factories import make_participant, make_staff

# A real 1×1 PNG: images are decoded and re-encoded on upload (core.uploads).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


@pytest.fixture
def dual(programme):
    person = make_participant(programme, email="dual@example.com")
    for role in ProgrammeRole.Role.values:
        make_staff(programme, role, user=person)
    return person


@pytest.fixture
def own(settings, tmp_path, programme, dual, manager):
    settings.MEDIA_ROOT = tmp_path / "media"
    ticket = feedback.ticket_file(
        actor=dual,
        programme=programme,
        kind="bug",
        title="My own finding",
        description="It breaks",
        severity="critical",
    )
    output = approvals.submission_create(
        actor=dual,
        programme=programme,
        title="My own clip",
        intended_use="social",
        url="https://example.org/own.mp4",
    )
    entry = labour.time_entry_log(
        actor=dual, programme=programme, date=timezone.localdate(), minutes=90, activity="testing"
    )
    prize = pay.award_create(
        actor=manager,
        participation=Participation.objects.get(user=dual, programme=programme),
        kind="prize",
        amount="50.00",
        currency="EUR",
        reason="Good find",
    )
    return {"ticket": ticket, "output": output, "hours": entry, "prize": prize}


def test_a_participant_with_a_staff_role_cannot_accept_their_own_ticket(own, dual, as_user):
    client = as_user(dual)
    t = own["ticket"]
    for status in ("triaged", "accepted"):
        response = client.post(f"/tickets/{t.pk}/status/", {"status": status})
        assert response.status_code == 404
    assert client.post(f"/tickets/{t.pk}/assign/", {"assignee": str(dual.pk)}).status_code == 404
    t.refresh_from_db()
    assert t.status == "new" and t.assignee_id is None
    pay.accrue_bounties()
    assert not LedgerEntry.objects.filter(kind="bounty").exists()


def test_bulk_triage_with_ones_own_ticket_changes_nothing(own, dual, participant, as_user):
    other = feedback.ticket_file(
        actor=participant,
        programme=own["ticket"].programme,
        kind="feedback",
        title="Someone else's",
        description="d",
    )
    client = as_user(dual)
    queue = client.get("/tickets/triage/").content.decode()
    assert "Someone else&#x27;s" in queue or "Someone else's" in queue
    assert "My own finding" not in queue
    response = client.post(
        "/tickets/triage/bulk/",
        {"tickets": [own["ticket"].pk, other.pk], "status": "accepted", "assignee": "keep"},
        follow=True,
    )
    assert "not yours to triage" in response.content.decode()
    assert set(Ticket.objects.values_list("status", flat=True)) == {"new"}


def test_no_internal_note_on_ones_own_ticket_by_page_or_api(own, dual, as_user):
    t = own["ticket"]
    page = as_user(dual).get(f"/tickets/{t.pk}/").content.decode()
    assert 'name="internal"' not in page
    as_user(dual).post(f"/tickets/{t.pk}/comment/", {"body": "hidden?", "internal": "on"})
    api = APIClient()
    api.force_authenticate(dual)
    response = api.post(
        f"/api/v1/tickets/{t.pk}/comments/", {"body": "hidden?", "internal": True}, format="json"
    )
    assert response.status_code == 422 and "internal" in response.json()["field_errors"]
    assert not TicketComment.objects.filter(visible_to_reporter=False).exists()


def test_an_internal_note_on_ones_own_ticket_is_refused_with_a_message_not_posted_in_public(
    own, dual, as_user
):
    """Before, ticking "internal" on a note on one's own ticket saved it as a public comment."""
    t = own["ticket"]
    response = as_user(dual).post(
        f"/tickets/{t.pk}/comment/", {"body": "for staff eyes only", "internal": "on"}
    )
    assert response.status_code == 400
    assert "never on a ticket you reported. Nothing was posted" in response.content.decode()
    assert not TicketComment.objects.filter(ticket=t).exists()
    # Sent without "internal", the same text is an ordinary comment.
    response = as_user(dual).post(f"/tickets/{t.pk}/comment/", {"body": "for everyone"})
    assert response.status_code == 302
    assert TicketComment.objects.get(ticket=t).visible_to_reporter is True


def test_internal_notes_and_their_files_stay_with_staff(own, dual, reviewer, participant, as_user):
    ticket = feedback.ticket_file(
        actor=participant,
        programme=own["ticket"].programme,
        kind="bug",
        title="Crash",
        description="d",
        severity="low",
    )
    feedback.ticket_comment(
        author=reviewer,
        ticket=ticket,
        body="Internal: a known issue",
        visible_to_reporter=False,
        attachments=[SimpleUploadedFile("trace.png", PNG, content_type="image/png")],
    )
    attachment = ticket.attachments.get()
    assert attachment.comment.visible_to_reporter is False
    reporter = as_user(participant)
    page = reporter.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "known issue" not in page and "trace.png" not in page
    assert reporter.get(f"/tickets/attachments/{attachment.pk}/").status_code == 404
    api = APIClient()
    api.force_authenticate(participant)
    listed = api.get(f"/api/v1/tickets/{ticket.pk}/comments/").json()
    assert all("known issue" not in str(c) for c in listed.get("results", listed))
    staff = as_user(reviewer)
    download = staff.get(f"/tickets/attachments/{attachment.pk}/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    # A reviewer who reported a ticket reads it as its reporter: no internal notes.
    feedback.ticket_comment(
        author=reviewer, ticket=own["ticket"], body="Internal about dual", visible_to_reporter=False
    )
    own_page = as_user(dual).get(f"/tickets/{own['ticket'].pk}/").content.decode()
    assert "Internal about dual" not in own_page


def test_no_claim_or_decision_on_ones_own_output_by_page_or_api(own, dual, as_user):
    s = own["output"]
    client = as_user(dual)
    assert client.get(f"/review/{s.pk}/").status_code == 404
    assert client.post(f"/review/{s.pk}/claim/").status_code == 404
    assert client.post(f"/review/{s.pk}/decide/", {"outcome": "approved"}).status_code == 404
    assert "My own clip" not in client.get("/review/").content.decode()
    api = APIClient()
    api.force_authenticate(dual)
    assert api.post(f"/api/v1/submissions/{s.pk}/claim/").status_code == 404
    decided = api.post(f"/api/v1/submissions/{s.pk}/decide/", {"outcome": "approved"})
    assert decided.status_code == 404
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.PENDING and s.claimed_by_id is None


def test_no_confirming_ones_own_hours(own, dual, as_user):
    response = as_user(dual).post(
        "/hours/queue/review/", {"entries": [own["hours"].pk], "decision": "confirm"}, follow=True
    )
    assert "not yours to review" in response.content.decode()
    own["hours"].refresh_from_db()
    assert own["hours"].status == TimeEntry.Status.LOGGED


def test_no_approving_or_awarding_ones_own_pay(own, dual, programme, as_user):
    client = as_user(dual)
    response = client.post(f"/finance/entries/{own['prize'].pk}/approve/", follow=True)
    assert "your own pay" in response.content.decode()
    own["prize"].refresh_from_db()
    assert own["prize"].state == "accrued" and own["prize"].approved_by_id is None
    award = client.post(
        "/finance/awards/new/",
        {
            "programme": programme.pk,
            "participant_email": dual.email,
            "kind": "prize",
            "amount": "999.00",
            "currency": "EUR",
            "reason": "Me",
        },
    )
    assert award.status_code == 400 and "award money to yourself" in award.content.decode()
    assert LedgerEntry.objects.filter(participation__user=dual).count() == 1


def test_the_reviewer_whose_rejection_is_appealed_cannot_take_the_appeal(
    programme, participant, reviewer, manager, as_user
):
    approvals.reason_codes_add_defaults(actor=manager, programme=programme)
    s = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Appealed clip",
        intended_use="social",
        url="https://example.org/a.mp4",
    )
    approvals.submission_decide(
        submission=s,
        actor=reviewer,
        outcome="rejected",
        reason=ReasonCode.objects.filter(programme=programme).first(),
    )
    approvals.submission_appeal(actor=participant, submission=s, note="It is fine.")
    client = as_user(reviewer)
    page = client.get(f"/review/{s.pk}/").content.decode()
    assert "different reviewer" in page and "Claim this item" not in page
    response = client.post(f"/review/{s.pk}/claim/", follow=True)
    assert "different reviewer" in response.content.decode()
    api = APIClient()
    api.force_authenticate(reviewer)
    refused = api.post(f"/api/v1/submissions/{s.pk}/claim/")
    assert refused.status_code == 403 and "different reviewer" in refused.json()["detail"]
    s.refresh_from_db()
    assert s.claimed_by_id is None
    assert as_user(manager).post(f"/review/{s.pk}/claim/").status_code == 302
    s.refresh_from_db()
    assert s.claimed_by_id == manager.pk
