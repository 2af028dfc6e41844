"""Invitations from the staff invitations page: a CSV list (all or nothing, each bad line
named), resend (a new mail and link, rate-limited, audited) and extend (a new expiry,
audited)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.models import OutboxMessage
from participants import services
from participants.models import Invitation, Participation

pytestmark = pytest.mark.django_db


def _upload(client, programme, text: str | bytes, *, once: str = "", days: int = 14):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        reverse("participants:staff_invitations_csv", args=[programme.slug]),
        {
            "csv-file": SimpleUploadedFile("people.csv", data, content_type="text/csv"),
            "csv-days_valid": days,
            "csv-once": once,
        },
        follow=True,
    )


def _invite(programme, manager, email="pat@example.com") -> Invitation:
    return services.invitations_create(actor=manager, programme=programme, emails=[email])[0]


def test_a_csv_list_invites_everyone_and_reports_repeats_members_and_earlier_invitations(
    client, programme, manager, participant
):
    _invite(programme, manager, "invited@example.com")
    client.force_login(manager)
    text = (
        "\ufeffEmail,Name\n"
        "ada@example.com,Ada Lovelace\n"
        "\n"
        "GRACE@example.com,\n"
        "ada@example.com,Ada again\n"
        "invited@example.com,Already\n"
        f"{participant.email},Member\n"
    )
    response = _upload(client, programme, text)
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 invitation(s) sent." in html
    assert f"Already in the programme: {participant.email}." in html
    assert "Already invited: invited@example.com." in html
    assert "Line 5: ada@example.com repeats line 2, invited once." in html
    ada = Invitation.objects.get(programme=programme, email="ada@example.com")
    assert ada.name == "Ada Lovelace"
    assert Invitation.objects.filter(programme=programme, email="grace@example.com").exists()
    mail = OutboxMessage.objects.get(to_email="ada@example.com")
    assert mail.body.startswith("Hello Ada Lovelace,")


def test_a_csv_list_with_bad_lines_names_each_and_invites_nobody(client, programme, manager):
    client.force_login(manager)
    before = (Invitation.objects.count(), OutboxMessage.objects.count(), AuditEvent.objects.count())
    text = (
        "email,name\n"
        "good@example.com,Good\n"
        "not-an-address,Bad\n"
        ",Nobody\n"
        "three@example.com,Too,Many\n"
        f"long@example.com,{'x' * 151}\n"
    )
    response = _upload(client, programme, text)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was sent" in html
    assert "Line 3: “not-an-address” is not an email address." in html
    assert "Line 4: no email address." in html
    assert "Line 5: 3 fields, expected 2." in html
    assert "Line 6: the name is longer than 150 characters." in html
    assert "4 bad line(s) in the file" in html
    after = (Invitation.objects.count(), OutboxMessage.objects.count(), AuditEvent.objects.count())
    assert after == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("address\nx@example.com\n", "the first line must name the columns"),
        ("email,phone\nx@example.com,1\n", "the first line must name the columns"),
        ("email\n", "no addresses under its header line"),
        (b"email\n\xff\xfe@example.com\n", "not UTF-8 text"),
        ("", "The submitted file is empty"),
    ],
)
def test_a_csv_list_that_is_not_a_list_of_addresses_is_refused_clearly(
    client, programme, manager, content, message
):
    client.force_login(manager)
    response = _upload(client, programme, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_csv_list_over_the_row_and_size_limits_is_refused(client, programme, manager):
    client.force_login(manager)
    rows = "".join(f"p{i}@example.com\n" for i in range(services.MAX_INVITES_AT_ONCE + 1))
    response = _upload(client, programme, "email\n" + rows)
    assert response.status_code == 400
    assert "Line 502: more than 500 addresses; split the file." in response.content.decode()
    big = "email\n" + "a" * (services.MAX_CSV_BYTES + 1)
    response = _upload(client, programme, big)
    assert response.status_code == 400
    assert "at most 256 KB. Nothing was sent." in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_same_upload_sent_twice_invites_once(client, programme, manager):
    client.force_login(manager)
    _upload(client, programme, "email\nonce@example.com\n", once="tok-1")
    response = _upload(client, programme, "email\nonce@example.com\n", once="tok-1")
    assert "You had already sent this form" in response.content.decode()
    assert Invitation.objects.filter(email="once@example.com").count() == 1
    assert OutboxMessage.objects.filter(to_email="once@example.com").count() == 1


def test_a_reviewer_cannot_upload_resend_or_extend(client, programme, manager, reviewer):
    invitation = _invite(programme, manager)
    client.force_login(reviewer)
    assert _upload(client, programme, "email\nx@example.com\n").status_code == 403
    for name in ("participants:staff_invitation_resend", "participants:staff_invitation_extend"):
        url = reverse(name, args=[programme.slug, invitation.pk])
        assert client.post(url, {"days": 30}).status_code == 403
    invitation.refresh_from_db()
    assert invitation.sends == 1 and not Invitation.objects.filter(email="x@example.com").exists()


def test_resend_mails_a_new_link_and_the_old_one_stops_working(client, programme, manager):
    invitation = _invite(programme, manager)
    old_token = invitation.plain_token
    Invitation.objects.filter(pk=invitation.pk).update(
        last_sent_at=timezone.now() - timedelta(minutes=11)
    )
    client.force_login(manager)
    url = reverse("participants:staff_invitation_resend", args=[programme.slug, invitation.pk])
    html = client.post(url, follow=True).content.decode()
    assert "was mailed again with a new link" in html
    assert OutboxMessage.objects.filter(to_email="pat@example.com").count() == 2
    assert AuditEvent.objects.filter(action="participants.invitation.resent").count() == 1
    assert client.get(reverse("participants:invitation", args=[old_token])).status_code == 404
    new_url = OutboxMessage.objects.filter(to_email="pat@example.com").latest("pk").url
    assert client.get(new_url).status_code == 200

    # Straight away again: refused, with when it may be sent; nothing mailed.
    html = client.post(url, follow=True).content.decode()
    assert "mailed less than 10 minutes ago; send it again in 10 minute(s)" in html
    assert OutboxMessage.objects.filter(to_email="pat@example.com").count() == 2


def test_resend_stops_after_five_mails_and_refuses_expired_and_revoked_invitations(
    client, programme, manager
):
    invitation = _invite(programme, manager)
    client.force_login(manager)
    url = reverse("participants:staff_invitation_resend", args=[programme.slug, invitation.pk])
    Invitation.objects.filter(pk=invitation.pk).update(sends=5, last_sent_at=None)
    assert "already mailed 5 times" in client.post(url, follow=True).content.decode()
    Invitation.objects.filter(pk=invitation.pk).update(
        sends=1, expires_at=timezone.now() - timedelta(hours=1)
    )
    assert "extend it first" in client.post(url, follow=True).content.decode()
    services.invitation_revoke(actor=manager, invitation=invitation)
    assert "only a pending one" in client.post(url, follow=True).content.decode()
    assert OutboxMessage.objects.filter(to_email="pat@example.com").count() == 1
    assert not AuditEvent.objects.filter(action="participants.invitation.resent").exists()


def test_extend_gives_an_expired_invitation_a_new_expiry_and_its_link_works_again(
    client, programme, manager, user_factory
):
    invitation = _invite(programme, manager)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    client.force_login(manager)
    url = reverse("participants:staff_invitation_extend", args=[programme.slug, invitation.pk])
    html = client.post(url, {"days": 30}, follow=True).content.decode()
    invitation.refresh_from_db()
    assert f"now runs until {invitation.expires_at:%Y-%m-%d %H:%M} UTC" in html
    assert timedelta(days=29) < invitation.expires_at - timezone.now() <= timedelta(days=30)
    event = AuditEvent.objects.get(action="participants.invitation.extended")
    assert event.actor == manager
    assert OutboxMessage.objects.filter(
        to_email="pat@example.com", subject__contains="now runs until"
    ).exists()
    pat = user_factory(email="pat@example.com")
    services.invitation_accept(actor=pat, token=invitation.plain_token)
    assert Participation.objects.filter(user=pat, programme=programme).exists()


def test_extend_refuses_a_date_before_the_current_expiry_or_out_of_range(
    client, programme, manager
):
    invitation = _invite(programme, manager)  # runs 14 days
    client.force_login(manager)
    url = reverse("participants:staff_invitation_extend", args=[programme.slug, invitation.pk])
    assert "choose a later date" in client.post(url, {"days": 3}, follow=True).content.decode()
    assert "1 to 90" in client.post(url, {"days": 400}, follow=True).content.decode()
    assert "1 to 90" in client.post(url, {"days": "soon"}, follow=True).content.decode()
    before = invitation.expires_at
    invitation.refresh_from_db()
    assert invitation.expires_at == before
    assert not AuditEvent.objects.filter(action="participants.invitation.extended").exists()
