"""Email is an authentication factor for staff: a stolen password alone cannot re-route a
reviewer's account to the thief.

Before (issue 29): with REQUIRE_STAFF_MFA on, a reviewer without an authenticator, signed in
by an attacker with the password, could add the attacker's address on /accounts/email/,
confirm it, make it primary, and then /accounts/2fa/totp/activate/ mailed its set-up code to
the new address; the owner was told nothing and the audit log had no event. Everything here
goes through allauth's real pages.
"""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client

from audit.models import AuditEvent
from core.models import OutboxMessage
from tests.conftest import summarise

ATTACKER = "thief@attacker.example"
PASSWORD = "demo-pass-2024"
TALLY = {"tried": 0}


def _mails_to(address):
    return OutboxMessage.objects.filter(to_email__iexact=address)


def _code(secret):
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_a_stolen_password_cannot_move_a_staff_account_without_two_factor(
    settings, reviewer, django_capture_on_commit_callbacks
):
    settings.REQUIRE_STAFF_MFA = True
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    signed_in = attacker.post("/accounts/login/", {"login": reviewer.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert attacker.get("/accounts/email/").status_code == 200
    # 1. Add the attacker's address: refused, and the owner is told.
    added = attacker.post("/accounts/email/", {"email": ATTACKER, "action_add": ""})
    assert added.status_code == 403
    assert "change only once two-factor authentication is set up" in added.content.decode()
    assert not EmailAddress.objects.filter(email__iexact=ATTACKER).exists()
    warning = _mails_to(reviewer.email).get(subject__startswith="Someone tried to change")
    assert ATTACKER in warning.body and "203.0.113.66" in warning.body
    # 2. Confirm it: nothing was sent to confirm.
    assert not _mails_to(ATTACKER).exists()
    # 3. Make it primary (and remove the owner's own address): refused the same way.
    for action in ("action_primary", "action_remove"):
        address = ATTACKER if action == "action_primary" else reviewer.email
        refused = attacker.post("/accounts/email/", {"email": address, action: ""})
        assert refused.status_code == 403, action
    reviewer.refresh_from_db()
    assert reviewer.email == "reviewer@example.com"
    assert EmailAddress.objects.filter(user=reviewer, email__iexact=ATTACKER).count() == 0
    # 4. Activate TOTP: the set-up code goes to the owner's address, never the attacker's.
    with django_capture_on_commit_callbacks(execute=True):
        attacker.get("/accounts/2fa/totp/activate/")
    assert _mails_to(reviewer.email).filter(subject__contains="two-factor").count() == 1
    assert not _mails_to(ATTACKER).exists()
    # Staff pages and the API stay shut.
    assert attacker.get("/review/").status_code == 302
    assert attacker.get("/api/v1/submissions/").status_code == 403
    # The owner, once their own two-factor is set up, reads every attempt on /audit/mine/.
    TOTP.activate(reviewer, generate_totp_secret())
    owner = Client()
    owner.force_login(reviewer)
    mine = owner.get("/audit/mine/").content.decode()
    assert f"The system refused to add the email address {ATTACKER}" in mine
    assert "refused to make primary the email address" in mine
    TALLY["tried"] += 4


def test_with_two_factor_the_primary_address_needs_the_code_again_and_can_be_undone(
    settings, reviewer, client
):
    settings.REQUIRE_STAFF_MFA = True
    secret = generate_totp_secret()
    TOTP.activate(reviewer, secret)
    old, new = reviewer.email, "reviewer.new@example.org"
    client.force_login(reviewer)
    assert client.post("/accounts/email/", {"email": new, "action_add": ""}).status_code == 302
    assert _mails_to(old).filter(subject="An email address was added to your account").exists()
    confirm = _mails_to(new).get(subject__icontains="confirm")
    link = re.search(r"/accounts/confirm-email/[^\s?]+", confirm.body).group(0)
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(email=new).verified
    # Making it primary first asks for the authenticator's code, then does it.
    asked = client.post("/accounts/email/", {"email": new, "action_primary": ""})
    assert asked.status_code == 302 and "/accounts/2fa/reauthenticate/" in asked["Location"]
    reviewer.refresh_from_db()
    assert reviewer.email == old
    done = client.post(asked["Location"], {"code": _code(secret)})
    assert done.status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.email == new
    # The old address is told, with a link that undoes it.
    told = _mails_to(old).get(subject="The primary email address of your account changed")
    assert "/accounts/email/undo/" in told.url
    # For 24 hours the new address receives no security mail: a reset goes to the old one.
    Client().post("/accounts/password/reset/", {"email": new})
    reset = OutboxMessage.objects.filter(subject__icontains="password reset").latest("pk")
    assert reset.to_email == old and f"This was asked for {new}" in reset.body
    # Every change is a sentence on /audit/mine/.
    mine = client.get("/audit/mine/").content.decode()
    for sentence in (
        f"You added the email address {new}.",
        f"You confirmed the email address {new}.",
        f"You made the primary email address {new} (was {old}).",
    ):
        assert sentence in mine, sentence
    # The owner, from the old mailbox, undoes it: old is primary, new is gone, sessions end.
    stranger = Client()
    page = stranger.get(told.url)
    assert page.status_code == 200 and "Undo the change" in page.content.decode()
    assert stranger.post(told.url).status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.email == old and not reviewer.has_usable_password()
    assert not EmailAddress.objects.filter(email=new).exists()
    assert client.get("/portal/").status_code == 302  # the changed session is signed out
    assert stranger.get(told.url).status_code == 404  # used once
    event = AuditEvent.objects.get(action="accounts.email.change_undone")
    assert event.subject_id == reviewer.pk and event.data["removed"] == new
    TALLY["tried"] += 2


def test_a_participant_may_change_address_but_security_mail_waits_a_day(
    participant, client, django_capture_on_commit_callbacks
):
    old, new = participant.email, "participant.new@example.org"
    client.force_login(participant)
    client.post("/accounts/email/", {"email": new, "action_add": ""})
    EmailAddress.objects.filter(email=new).update(verified=True)
    assert client.post("/accounts/email/", {"email": new, "action_primary": ""}).status_code == 302
    participant.refresh_from_db()
    assert participant.email == new
    assert _mails_to(old).filter(subject__contains="primary email address").exists()
    # Setting up two-factor now: its code goes to the address of yesterday.
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/accounts/2fa/totp/activate/")
    code_mail = OutboxMessage.objects.get(subject__contains="set up two-factor")
    assert code_mail.to_email == old
    TALLY["tried"] += 1


def test_account_email_figure():
    summarise(inputs=TALLY["tried"])
    print(
        f"\nFIGURE email as a factor: {TALLY['tried']} address changes tried through allauth's "
        "pages (staff without two-factor: 0 through; with it: the code again, the old address "
        "told and able to undo, 24 h of security mail to the old address)"
    )


@pytest.fixture(autouse=True)
def _db(db):
    return db
