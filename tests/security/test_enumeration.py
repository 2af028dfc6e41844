"""No answer tells whether an address has an account.

Before: a reviewer's token asked the access check about any address and got `unknown_user`
for a stranger and `not_a_participant` for an existing account, so every address could be
checked for an account. Now both get the same answer; password reset, sign-up and the
invitation page answer alike for an address with and without an account.
"""

import re

from rest_framework.test import APIClient

from api.services import token_create
from participants import services as participants
from tests.conftest import summarise
from tests.factories import UserFactory

TRIED = {"pairs": 0}


def _same_page(a, b) -> bool:
    """Two answers a guesser cannot tell apart: status, redirect and the visible text
    (without the per-request CSRF token and nonce)."""

    def visible(response):
        text = response.content.decode()
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
        return re.sub(r'nonce="[^"]+"', "", text)

    return (
        a.status_code == b.status_code
        and a.get("Location") == b.get("Location")
        and visible(a) == visible(b)
    )


def test_the_access_check_answers_a_stranger_like_an_account_outside_the_programme(
    programme, reviewer, settings
):
    settings.REQUIRE_STAFF_MFA = False
    existing = UserFactory(email="someone@example.org")
    api = APIClient()
    _, plain = token_create(actor=reviewer, name="check", scope="read")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    url = f"/api/v1/programmes/{programme.slug}/access/"
    answers = {
        who: api.get(url, {"user": who})
        for who in (existing.email, "nobody@example.org", str(existing.pk), "987654", "9" * 40)
    }
    bodies = {who: (r.status_code, r.json()) for who, r in answers.items()}
    assert len({repr(b) for b in bodies.values()}) == 1, bodies
    status, body = bodies[existing.email]
    assert status == 200 and body["code"] == "not_a_participant" and body["active"] is False
    TRIED["pairs"] += len(answers) - 1


def test_password_reset_answers_the_same_for_an_address_with_and_without_an_account(
    client, participant
):
    known = client.post("/accounts/password/reset/", {"email": participant.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == 302 and _same_page(known, unknown)
    assert _same_page(client.get(known["Location"]), client.get(unknown["Location"]))
    TRIED["pairs"] += 2


def test_sign_up_answers_the_same_for_a_taken_address_and_a_new_one(client, participant):
    def sign_up(email):
        other = client.__class__()
        return other.post(
            "/accounts/signup/",
            {"email": email, "password1": "a-long-new-phrase", "password2": "a-long-new-phrase"},
        )

    taken, new = sign_up(participant.email), sign_up("fresh@example.org")
    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"]
    TRIED["pairs"] += 1


def test_the_invitation_page_reads_the_same_whether_the_invitee_has_an_account(
    client, programme, manager, participant
):
    (with_account,) = participants.invitations_create(
        actor=manager, programme=programme, emails=[participant.email.upper()]
    )
    (without,) = participants.invitations_create(
        actor=manager, programme=programme, emails=["newcomer@example.org"]
    )
    a = client.get(f"/portal/invitations/{with_account.plain_token}/")
    b = client.get(f"/portal/invitations/{without.plain_token}/")
    assert a.status_code == b.status_code == 200
    for text in ("Create an account to join", "Sign in to join"):
        assert text in a.content.decode() and text in b.content.decode()
    TRIED["pairs"] += 1


def test_enumeration_figure():
    summarise(pairs=TRIED["pairs"])
    print(
        f"\nFIGURE enumeration: {TRIED['pairs']} pairs of an address with and without an "
        "account (access check, password reset, sign-up, invitation page), 0 told apart"
    )
