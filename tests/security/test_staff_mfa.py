"""Staff two-factor is a property of the person, not of the URL.

With REQUIRE_STAFF_MFA on, a reviewer without two-factor used to be sent to set it up
on /review/ and /finance/, yet could decide outputs, read internal comments and
download files through /api/v1/ (session or token), /tickets/<id>/ and the download
URLs. Every one of those paths is tried here, then the same person with two-factor.
"""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from approvals import services as approvals
from core.models import OutboxMessage
from feedback import services as feedback

# A real 1×1 PNG: images are decoded and re-encoded on upload (core.uploads).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


@pytest.fixture
def records(settings, tmp_path, programme, participant, reviewer, manager):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REQUIRE_STAFF_MFA = True
    ticket = feedback.ticket_file(
        actor=participant,
        programme=programme,
        kind="bug",
        title="Crash",
        description="It crashes",
        severity="high",
        attachments=[SimpleUploadedFile("shot.png", PNG, content_type="image/png")],
    )
    submission = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Clip",
        intended_use="social",
        upload=SimpleUploadedFile("clip.png", PNG, content_type="image/png"),
    )
    return {"ticket": ticket, "submission": submission}


def _staff_paths(records):
    t, s = records["ticket"], records["submission"]
    return [
        "/review/",
        f"/review/{s.pk}/",
        f"/tickets/{t.pk}/",
        f"/tickets/attachments/{t.attachments.get().pk}/",
        f"/outputs/{s.pk}/file/",
        "/tickets/triage/",
        "/finance/",
        "/staff/",
    ]


def test_staff_without_two_factor_are_sent_to_set_it_up_on_every_page(records, reviewer, as_user):
    client = as_user(reviewer)
    for path in _staff_paths(records):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/2fa/totp/activate"), path


def test_staff_without_two_factor_cannot_post_a_decision_or_a_triage(records, reviewer, as_user):
    client = as_user(reviewer)
    s, t = records["submission"], records["ticket"]
    assert client.post(f"/review/{s.pk}/claim/").status_code == 403
    assert client.post(f"/tickets/{t.pk}/status/", {"status": "triaged"}).status_code == 403
    s.refresh_from_db()
    t.refresh_from_db()
    assert s.claimed_by_id is None and t.status == "new"


def api(person):
    from api.services import token_create

    client = APIClient()
    _, plain = token_create(actor=person, name="test", scope="write")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def test_staff_without_two_factor_get_403_from_the_api_by_session_and_by_token(
    records, reviewer, settings
):
    s = records["submission"]
    by_session = APIClient()
    by_session.force_login(reviewer)
    settings.REQUIRE_STAFF_MFA = False  # a token made before two-factor became required
    by_token = api(reviewer)
    settings.REQUIRE_STAFF_MFA = True
    for client in (by_session, by_token):
        for method, path in [
            ("get", "/api/v1/submissions/"),
            ("get", f"/api/v1/submissions/{s.pk}/"),
            ("post", f"/api/v1/submissions/{s.pk}/claim/"),
            ("get", f"/api/v1/tickets/{records['ticket'].pk}/comments/"),
            ("get", "/api/v1/ledger-entries/"),
        ]:
            response = getattr(client, method)(path)
            assert response.status_code == 403, (method, path, response.status_code)
            assert "two-factor" in response.json()["detail"]
    s.refresh_from_db()
    assert s.claimed_by_id is None


def test_the_same_reviewer_with_two_factor_reaches_everything(records, reviewer, as_user):
    TOTP.activate(reviewer, generate_totp_secret())
    client = as_user(reviewer)
    for path in _staff_paths(records)[:5]:
        assert client.get(path).status_code == 200, path
    assert api(reviewer).get("/api/v1/submissions/").status_code == 200


def test_a_participant_without_staff_roles_needs_no_two_factor(records, participant, as_user):
    client = as_user(participant)
    assert client.get("/portal/").status_code == 200
    assert client.get(f"/tickets/{records['ticket'].pk}/").status_code == 200


def test_a_token_with_staff_reach_is_made_only_after_two_factor(records, reviewer, as_user):
    from api.models import ApiToken

    client = as_user(reviewer)
    response = client.post("/portal/tokens/", {"name": "ci", "scope": "write"})
    assert response.status_code in (302, 403)
    assert ApiToken.objects.filter(user=reviewer).count() == 0


def test_setting_up_two_factor_needs_a_code_from_the_inbox_not_only_the_password(
    records, reviewer, client, django_capture_on_commit_callbacks
):
    client.post("/accounts/login/", {"login": reviewer.email, "password": "demo-pass-2024"})
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200 and b"code we have just emailed" in page.content
    assert b'name="code"' not in page.content  # allauth's set-up form only after the inbox proof
    code = re.search(r"Your code is (\d{6})", mail.outbox[-1].body).group(1)
    wrong = client.post("/accounts/2fa/totp/activate/", {"email_code": "000000"})
    assert wrong.status_code == 400 and b"not right" in wrong.content
    right = client.post("/accounts/2fa/totp/activate/", {"email_code": code}, follow=True)
    # Then allauth asks for the password again, and only then shows the authenticator set-up.
    assert right.redirect_chain[-1][0].startswith("/accounts/reauthenticate/")
    setup = client.post(right.redirect_chain[-1][0], {"password": "demo-pass-2024"}, follow=True)
    assert setup.status_code == 200 and b'name="code"' in setup.content
    assert OutboxMessage.objects.filter(recipient=reviewer, subject__icontains="two-factor")
