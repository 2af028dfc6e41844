"""In a real browser: sign up, verify the email through the link that was sent, log in, see
the portal; an invitee signs up from the invitation and comes back to it."""

import re

import pytest
from django.core import mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_verify_by_the_emailed_link_log_in_and_see_the_portal(live_server, page):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=email]", "browser@example.com")
    page.fill("input[name=password1]", "a-long-pass-phrase")
    page.fill("input[name=password2]", "a-long-pass-phrase")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/confirm-email/"))
    assert "verification" in page.content().lower()

    sent = [m for m in mail.outbox if "browser@example.com" in m.to]
    assert len(sent) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", sent[0].body).group(0)
    path = link.split("/accounts/", 1)[1]
    page.goto(f"{live_server.url}/accounts/{path}")
    page.click("main button[type=submit]")  # "Confirm"
    # Verifying in the browser that signed up signs the person in.
    page.goto(f"{live_server.url}/portal/")
    assert page.locator("h1").inner_text() == "My portal"

    page.click("button:has-text('Sign out')")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "browser@example.com")
    page.fill("input[name=password]", "a-long-pass-phrase")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")
    assert page.locator("h1").inner_text() == "My portal"
    assert "You are not in any programme yet" in page.content()


def test_an_invitee_signs_up_from_the_invitation_and_lands_back_on_it(
    live_server, page, programme, manager
):
    from participants import services

    invitation = services.invitations_create(
        actor=manager, programme=programme, emails=["invitee@example.com"]
    )[0]
    url = f"{live_server.url}/portal/invitations/{invitation.plain_token}/"
    page.goto(url)
    page.click("text=Create an account to join")
    page.fill("input[name=email]", "invitee@example.com")
    page.fill("input[name=password1]", "a-long-pass-phrase")
    page.fill("input[name=password2]", "a-long-pass-phrase")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/confirm-email/"))
    sent = [m for m in mail.outbox if "invitee@example.com" in m.to and "confirm-email" in m.body]
    link = re.search(r"https?://\S+(/accounts/confirm-email/\S+)", sent[-1].body).group(1)
    page.goto(f"{live_server.url}{link}")
    page.click("main button[type=submit]")  # "Confirm"
    page.wait_for_url(url)
    page.click(f"button:has-text('Join {programme.name}')")
    page.wait_for_url(re.compile(r".*/consent/$"))
    assert "I have read these terms and accept them" in page.content()
