"""Account pages: each error beside the field it concerns, and an invitee who signs up is
taken back to the invitation after verifying their email."""

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from participants.models import Invitation, Participation


def get_user_model_exists(email):
    return get_user_model().objects.filter(email=email).exists()


def _field_block(page: str, name: str) -> str:
    """The `<div class="field">` that holds the input named `name`."""
    for block in page.split('<div class="field')[1:]:
        if f'name="{name}"' in block.split("</label>", 2)[1].split(">", 1)[0]:
            return block
    raise AssertionError(f"no field block for {name}")


def test_a_password_mismatch_is_shown_under_the_repeated_password(client, db):
    page = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": "a-long-pass-phrase", "password2": "other"},
    ).content.decode()
    assert "You must type the same password each time." in _field_block(page, "password2")
    assert "You must type the same password each time." not in _field_block(page, "password1")
    # The input points at its error, so a screen reader reads it with the field.
    assert 'aria-describedby="id_password2_error' in _field_block(page, "password2")
    assert not get_user_model_exists("new@example.com")


def test_a_weak_password_is_shown_under_the_password_not_the_repeat(client, db):
    page = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": "12345678", "password2": "12345678"},
    ).content.decode()
    first = _field_block(page, "password1")
    assert "This password is too short" in first and "entirely numeric" in first
    assert "too short" not in _field_block(page, "password2")
    assert not get_user_model_exists("new@example.com")


def test_a_wrong_current_password_sits_under_it_on_the_password_change_page(participant, as_user):
    page = (
        as_user(participant)
        .post(
            "/accounts/password/change/",
            {"oldpassword": "wrong", "password1": "a-new-pass-phrase", "password2": "nope"},
        )
        .content.decode()
    )
    assert "Please type your current password." in _field_block(page, "oldpassword")
    assert "same password" in _field_block(page, "password2")
    assert "same password" not in _field_block(page, "password1")
    participant.refresh_from_db()
    assert participant.check_password("demo-pass-2024")


def test_a_failed_log_in_is_summarised_at_the_top(client, participant):
    page = client.post(
        "/accounts/login/", {"login": "participant@example.com", "password": "wrong"}
    ).content.decode()
    summary = re.search(r'<div class="errors" role="alert"[^>]*>(.*?)</div>', page, re.S)
    assert summary and "email address and/or password you specified are not correct" in (
        summary.group(1)
    )
    assert page.index("not correct") < page.index('name="login"')


def test_an_invitee_who_signs_up_lands_on_the_invitation_after_verifying(
    programme, manager, as_user, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(manager).post(
            f"/staff/programmes/{programme.slug}/invitations/",
            {"emails": "invitee@example.com", "days_valid": 14},
        )
    client.logout()
    invitation_url = re.search(r"/portal/invitations/\S+/", mail.outbox[-1].body).group(0)
    page = client.get(invitation_url).content.decode()
    signup = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', page).group(1)
    assert "Sign up" in client.get(signup.replace("&amp;", "&")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            signup.replace("&amp;", "&"),
            {
                "email": "invitee@example.com",
                "password1": "a-long-pass-phrase",
                "password2": "a-long-pass-phrase",
            },
        )
    assert "confirm-email" in response["Location"]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[-1].body)
    response = client.post(link.group(1))
    assert response.status_code == 302 and response["Location"] == invitation_url
    # Signed in by verifying in the browser that signed up: the invitation offers to join.
    page = client.get(invitation_url).content.decode()
    assert f"Join {programme.name}" in page
    client.post(invitation_url, {"accept": "1"})
    assert Participation.objects.filter(user__email="invitee@example.com").exists()
    assert Invitation.objects.get(email="invitee@example.com").status == "accepted"


def test_an_invitee_who_verifies_in_another_browser_lands_on_the_invitation_too(
    programme, manager, as_user, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(manager).post(
            f"/staff/programmes/{programme.slug}/invitations/",
            {"emails": "invitee@example.com", "days_valid": 14},
        )
    client.logout()
    invitation_url = re.search(r"/portal/invitations/\S+/", mail.outbox[-1].body).group(0)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/accounts/signup/?next={invitation_url}",
            {
                "email": "invitee@example.com",
                "password1": "a-long-pass-phrase",
                "password2": "a-long-pass-phrase",
            },
        )
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[-1].body)
    phone = Client()
    response = phone.post(link.group(1))
    assert response.status_code == 302 and response["Location"] == invitation_url
    # Not signed in there: the invitation offers to sign in and come back.
    page = phone.get(invitation_url).content.decode()
    assert f'href="/accounts/login/?next={invitation_url}"' in page


def test_a_sign_up_never_carries_another_sites_address_into_the_verification_link(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/signup/?next=https://evil.example.com/",
            {
                "email": "new@example.com",
                "password1": "a-long-pass-phrase",
                "password2": "a-long-pass-phrase",
            },
        )
    body = mail.outbox[-1].body
    assert "evil" not in body
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", body).group(1)
    response = client.post(link)
    assert "evil" not in response["Location"]


def test_a_mismatch_on_the_password_reset_page_sits_under_the_repeat(
    client, participant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "participant@example.com"})
    link = re.search(
        r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body
    ).group(1)
    form_page = client.get(link, follow=True)
    page = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "a-new-long-phrase", "password2": "another-phrase"},
    ).content.decode()
    assert "same password" in _field_block(page, "password2")
    assert "same password" not in _field_block(page, "password1")
    assert '<a href="#id_password2">' in page
    participant.refresh_from_db()
    assert participant.check_password("demo-pass-2024")
