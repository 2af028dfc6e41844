"""Accounts: sign-up with mandatory email verification, log-in by email, rate limits, MFA."""

import re

import pytest
from django.core import mail

from core.models import OutboxMessage


def _link(body):
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", body).group(1)


def test_signup_needs_email_verification_then_the_portal_opens(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "new@example.com",
                "password1": "a-long-pass-phrase",
                "password2": "a-long-pass-phrase",
            },
        )
    assert response.status_code == 302 and "confirm-email" in response["Location"]
    # The verification mail went through our outbox and was sent.
    assert OutboxMessage.objects.get(to_email="new@example.com").status == "sent"
    # Until verified, logging in does not open the portal.
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "new@example.com", "password": "a-long-pass-phrase"}
    )
    assert response.status_code == 302 and "confirm-email" in response["Location"]
    client.get(_link(mail.outbox[-1].body))
    client.post(_link(mail.outbox[-1].body))
    response = client.post(
        "/accounts/login/", {"login": "new@example.com", "password": "a-long-pass-phrase"}
    )
    assert response.status_code == 302
    assert "My portal" in client.get("/portal/").content.decode()


def test_login_by_email_opens_the_portal(client, participant):
    response = client.post(
        "/accounts/login/", {"login": "participant@example.com", "password": "demo-pass-2024"}
    )
    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200


def test_repeated_failed_logins_are_refused_with_429(client, participant):
    codes = [
        client.post(
            "/accounts/login/", {"login": "participant@example.com", "password": "wrong"}
        ).status_code
        for _ in range(8)
    ]
    assert 429 in codes
    # Even the right password waits out the cool-off.
    right = client.post(
        "/accounts/login/", {"login": "participant@example.com", "password": "demo-pass-2024"}
    )
    assert right.status_code == 429


def test_admin_login_goes_through_the_rate_limited_login(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_staff_without_mfa_are_sent_to_set_it_up_when_required(settings, reviewer, as_user):
    settings.REQUIRE_STAFF_MFA = True
    response = as_user(reviewer).get("/review/")
    assert response.status_code == 302 and "/accounts/2fa/totp/activate" in response["Location"]


def test_staff_pages_open_without_mfa_when_not_required(settings, reviewer, as_user):
    settings.REQUIRE_STAFF_MFA = False
    assert as_user(reviewer).get("/review/").status_code == 200


@pytest.mark.parametrize("path", ["/review/", "/finance/", "/staff/"])
def test_participants_cannot_open_staff_surfaces(path, participant, as_user):
    assert as_user(participant).get(path).status_code == 403


@pytest.mark.parametrize(
    "path", ["/portal/", "/review/", "/finance/", "/staff/", "/notifications/"]
)
def test_anonymous_visitors_are_sent_to_log_in(path, client, db):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_password_reset_mail_goes_through_the_outbox_and_its_link_works(
    client, participant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "participant@example.com"})
    message = OutboxMessage.objects.get(to_email="participant@example.com")
    assert message.status == "sent" and "password" in message.subject.lower()
    link = re.search(
        r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body
    ).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "a-new-long-phrase", "password2": "a-new-long-phrase"},
    )
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "participant@example.com", "password": "a-new-long-phrase"}
    )
    assert response.status_code == 302 and client.get("/portal/").status_code == 200


def test_staff_with_totp_log_in_with_a_code_and_reach_staff_pages(client, settings, reviewer):
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    settings.REQUIRE_STAFF_MFA = True
    secret = generate_totp_secret()
    TOTP.activate(reviewer, secret)
    response = client.post(
        "/accounts/login/", {"login": "reviewer@example.com", "password": "demo-pass-2024"}
    )
    assert response.status_code == 302 and "/accounts/2fa/authenticate/" in response["Location"]
    assert client.get("/review/").status_code == 302  # not signed in until the code is given
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert client.get("/review/").status_code == 200
