"""A participant submits an output: what is recorded, what is refused, what is approved at once."""

from datetime import datetime, timedelta
from hashlib import sha256

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import services
from approvals.models import OutputSubmission, ReviewDecision
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from participants.services import pause_start
from programs.models import TermsVersion
from tests.factories import make_participant

from .conftest import PNG, png_upload


def test_a_url_submission_records_the_hash_the_terms_in_force_and_the_72_hour_deadline(
    participant, programme, submit
):
    before = timezone.now()
    s = submit(participant, url="https://example.org/night-swim.mp4")
    assert s.status == OutputSubmission.Status.PENDING
    assert s.content_hash == sha256(b"https://example.org/night-swim.mp4").hexdigest()
    assert s.terms_version == programme.terms.get()
    assert before + timedelta(hours=72) <= s.due_at <= timezone.now() + timedelta(hours=72)
    assert s.verify_token is None


def test_a_file_submission_is_stored_under_a_generated_name_with_its_hash(
    participant, submit, _media_in_tmp
):
    s = submit(participant, upload=png_upload("../../etc/passwd.png"))
    assert s.content_hash == sha256(PNG).hexdigest()
    assert s.file.name.startswith("outputs/") and "passwd" not in s.file.name
    assert s.file_type == "image/png"
    assert (_media_in_tmp / s.file.name).read_bytes() == PNG


def test_a_disguised_upload_is_refused_and_nothing_is_stored(
    participant, submit, _media_in_tmp, as_user
):
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
    with pytest.raises(DomainError, match="refused"):
        submit(participant, upload=png_upload("cute-cat.png", elf))
    client = as_user(participant)
    response = client.post(
        reverse("approvals:submit"),
        {
            "programme": participant.participations.get().programme_id,
            "title": "Cute cat",
            "intended_use": "social",
            "upload": png_upload("cute-cat.png", b"MZ\x90\x00" + b"\x00" * 200),
        },
    )
    assert response.status_code == 400
    assert "was refused" in response.content.decode()
    assert not OutputSubmission.objects.exists()
    assert not (_media_in_tmp / "outputs").exists() or not any(
        (_media_in_tmp / "outputs").iterdir()
    )


def test_a_file_and_a_url_together_are_refused(participant, submit):
    with pytest.raises(DomainError, match="exactly one"):
        submit(participant, upload=png_upload(), url="https://example.org/x")
    assert not OutputSubmission.objects.exists()


def test_a_private_use_under_public_sharing_terms_is_approved_at_once_with_the_reason(
    participant, submit
):
    s = submit(participant, intended_use="private")
    assert s.status == OutputSubmission.Status.APPROVED
    assert s.due_at is None and s.verify_token
    decision = s.decisions.get()
    assert decision.outcome == ReviewDecision.Outcome.NOT_REQUIRED
    assert "require no approval" in decision.note
    assert AuditEvent.objects.filter(
        action="approvals.submission.decided", object_id=str(s.pk)
    ).exists()


def test_terms_without_a_deadline_leave_the_item_pending_with_no_due_time(
    participant, programme, submit
):
    TermsVersion.objects.filter(programme=programme).update(
        approval_scope="every_output", review_deadline_hours=None, on_missed_deadline=""
    )
    s = submit(participant, intended_use="private")
    assert s.status == OutputSubmission.Status.PENDING and s.due_at is None


def test_nobody_submits_under_terms_they_have_not_accepted(programme, submit):
    newcomer = make_participant(programme, consent=False, email="newcomer@example.com")
    with pytest.raises(NotAllowed, match="Accept the terms"):
        submit(newcomer)
    assert not OutputSubmission.objects.exists()


def test_nobody_submits_while_the_programme_is_paused(participant, programme, manager, submit):
    pause_start(actor=manager, programme=programme, reason="Security incident")
    with pytest.raises(NotAllowed, match="paused"):
        submit(participant)


def test_the_submit_page_records_a_submission_and_shows_the_deadline(
    participant, programme, as_user
):
    client = as_user(participant)
    response = client.post(
        reverse("approvals:submit"),
        {
            "programme": programme.pk,
            "title": "Harbour at dawn",
            "url": "https://example.org/harbour",
            "prompt": "harbour at dawn",
            "intended_use": "portfolio",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "The terms promise a decision by" in response.content.decode()
    assert OutputSubmission.objects.get().title == "Harbour at dawn"


def test_the_submit_page_shows_the_review_deadline_before_submitting(
    participant, programme, as_user, monkeypatch
):
    """Issue 33: the deadline was shown only after submitting."""
    now = timezone.make_aware(datetime(2026, 12, 7, 21, 0))
    monkeypatch.setattr(timezone, "now", lambda: now)
    client = as_user(participant)
    page = client.get(reverse("approvals:submit") + f"?programme={programme.slug}").content
    assert (
        "<strong>Alpha</strong>: Approval is needed for public sharing. Submitted now, the "
        "decision is due by 10 Dec 2026 21:00 UTC (within 72 hours); if it is late, the output "
        "is deemed approved." in page.decode()
    )
    TermsVersion.objects.filter(programme=programme).update(
        approval_scope="every_output", review_deadline_hours=None, on_missed_deadline=""
    )
    page = client.get(reverse("approvals:submit")).content.decode()
    assert "Approval is needed for every output. These terms set no deadline" in page
    TermsVersion.objects.filter(programme=programme).update(approval_scope="none")
    page = client.get(reverse("approvals:submit")).content.decode()
    assert "No approval is needed: you may share an output as soon as you submit it." in page


def test_a_participant_withdraws_a_pending_submission(participant, submit, as_user):
    s = submit(participant)
    response = as_user(participant).post(reverse("approvals:withdraw", args=[s.pk]), follow=True)
    assert "was withdrawn" in response.content.decode()
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.WITHDRAWN
    with pytest.raises(DomainError, match="Only a pending submission"):
        services.submission_withdraw(actor=participant, submission=s)


def test_another_participant_cannot_see_or_withdraw_my_submission(
    participant, participant2, submit, as_user
):
    s = submit(participant)
    client = as_user(participant2)
    assert client.get(reverse("approvals:output", args=[s.pk])).status_code == 404
    assert client.post(reverse("approvals:withdraw", args=[s.pk])).status_code == 404
    assert client.get(reverse("approvals:file", args=[s.pk])).status_code == 404
    with pytest.raises(NotAllowed):
        services.submission_withdraw(actor=participant2, submission=s)
    s.refresh_from_db()
    assert s.status == OutputSubmission.Status.PENDING


def test_my_outputs_page_lists_status_and_time_left(participant, submit, as_user):
    submit(participant, title="Night swim")
    submit(participant, title="Quiet room", intended_use="private")
    page = as_user(participant).get(reverse("approvals:mine")).content.decode()
    assert "Night swim" in page and "left" in page
    assert "Quiet room" in page and "verification link" in page


def test_a_tester_sees_a_thumbnail_of_their_own_picture_and_nobody_else_s(
    participant, participant2, submit, as_user, _media_in_tmp
):
    """Issue 33: there was no picture of one's own output; only reviewers had a preview."""
    s = submit(participant, url="", upload=png_upload())
    client = as_user(participant)
    listing = client.get(reverse("approvals:mine")).content.decode()
    thumbnail = reverse("approvals:thumbnail", args=[s.pk])
    assert f'<img class="thumb" src="{thumbnail}"' in listing
    page = client.get(reverse("approvals:output", args=[s.pk])).content.decode()
    assert f'<img src="{thumbnail}" alt="Your picture, “{s.title}”">' in page
    shown = client.get(thumbnail)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert "attachment" not in shown.get("Content-Disposition", "")
    assert as_user(participant2).get(thumbnail).status_code == 404
    url_output = submit(participant)
    assert client.get(reverse("approvals:thumbnail", args=[url_output.pk])).status_code == 404
