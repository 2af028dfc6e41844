"""Control characters (CR, LF, NUL…) are refused in every name and title that can reach an
email header or a file name, on the pages and the API; an invitation whose programme name
already holds one (written before the rule, or straight into the database) is still sent."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import token_create
from approvals.models import OutputSubmission, ReasonCode
from core.models import OutboxMessage
from feedback.models import Ticket, TicketAttachment
from participants.models import Invitation
from programs.forms import ProgrammeSettingsForm
from programs.models import Programme
from tests.conftest import summarise

INJECTED = ["Alpha\r\nBcc: everyone@example.org", "Alpha\nX-Evil: 1", "Alpha\rb", "Al\x0bpha"]
MESSAGE = "cannot contain line breaks"


def _settings_data(programme, **changes):
    form = ProgrammeSettingsForm(instance=programme)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name)
        if value is None:
            continue
        data[name] = field.prepare_value(value) if hasattr(field, "prepare_value") else value
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_names_and_titles_with_control_characters_are_refused_everywhere(
    client, programme, manager, participant, settings
):
    settings.REQUIRE_STAFF_MFA = False
    tried = 0
    client.force_login(manager)
    for bad in INJECTED:
        response = client.post(
            f"/staff/programmes/{programme.slug}/settings/", _settings_data(programme, name=bad)
        )
        assert response.status_code == 400 and MESSAGE in response.content.decode(), bad
        assert Programme.objects.get(pk=programme.pk).name == "Alpha"
        tried += 1
    client.force_login(participant)
    api = APIClient()
    _, plain = token_create(actor=participant, name="names", scope="write")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    for bad in INJECTED:
        ticket = {
            "programme": programme.pk,
            "kind": "feedback",
            "title": bad,
            "description": "d",
        }
        response = client.post("/tickets/new/", ticket)
        assert response.status_code == 400 and MESSAGE in response.content.decode(), bad
        response = api.post(
            "/api/v1/tickets/", {**ticket, "programme": programme.slug}, format="json"
        )
        assert response.status_code == 400, (bad, response.content)
        output = {"programme": programme.pk, "title": bad, "intended_use": "social"}
        response = client.post("/outputs/new/", {**output, "url": "https://example.org/x"})
        assert response.status_code == 400 and MESSAGE in response.content.decode(), bad
        response = client.post("/portal/tokens/", {"name": bad, "scope": "read"})
        assert MESSAGE in response.content.decode(), bad
        tried += 4
    # A file name reaches the download's Content-Disposition header.
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
    )
    from core.errors import DomainError
    from core.text import CONTROL_CHARACTERS
    from feedback import services as feedback

    for name in ["shot\r\n.png", "shot\x00.png", "sh\x1bot.png"]:
        # Through the page, Django's upload parser may already have cut the name; either
        # it is refused or what is kept is clean.
        response = client.post(
            "/tickets/new/",
            {
                "programme": programme.pk,
                "kind": "feedback",
                "title": "fine",
                "description": "d",
                "attachments": [SimpleUploadedFile(name, png, content_type="image/png")],
            },
        )
        assert response.status_code in (302, 400), name
        for kept in TicketAttachment.objects.values_list("original_name", flat=True):
            assert not CONTROL_CHARACTERS.search(kept), repr(kept)
        # The service itself refuses the raw name.
        with pytest.raises(DomainError, match=MESSAGE):
            feedback.ticket_file(
                actor=participant,
                programme=programme,
                kind="feedback",
                title="direct",
                description="d",
                attachments=[SimpleUploadedFile(name, png, content_type="image/png")],
            )
        tried += 2
    assert not Ticket.objects.exclude(title="fine").exists()
    assert not TicketAttachment.objects.exclude(ticket__title="fine").exists()
    assert not OutputSubmission.objects.exists()
    assert ApiToken.objects.filter(user=participant).count() == 1
    summarise(inputs=tried)
    print(
        f"\nFIGURE header names: {tried} names and titles with CR/LF/NUL/control characters tried, 0 stored"
    )


@pytest.mark.parametrize("bad", INJECTED[:2])
def test_a_reason_label_with_a_line_break_is_refused(client, programme, manager, settings, bad):
    settings.REQUIRE_STAFF_MFA = False
    client.force_login(manager)
    before = ReasonCode.objects.count()
    response = client.post(
        "/review/reasons/", {"programme": programme.pk, "label": bad, "code": "fine"}
    )
    assert MESSAGE in response.content.decode() and ReasonCode.objects.count() == before


def test_an_invitation_is_sent_even_when_the_programme_name_holds_a_line_break(
    client, programme, manager, settings, django_capture_on_commit_callbacks
):
    settings.REQUIRE_STAFF_MFA = False
    # Written before the rule existed, or by someone with write access to the database.
    Programme.objects.filter(pk=programme.pk).update(name="Alpha\r\nBcc: everyone@example.org")
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/staff/programmes/{programme.slug}/invitations/",
            {"emails": "new.tester@example.com", "days_valid": 14},
        )
    assert Invitation.objects.get(email="new.tester@example.com").status == "pending"
    message = OutboxMessage.objects.get(to_email="new.tester@example.com")
    assert message.status == "sent", message.last_error
    sent = [m for m in mail.outbox if "new.tester@example.com" in m.to]
    assert len(sent) == 1 and "\n" not in sent[0].subject and "\r" not in sent[0].subject
    assert sent[0].subject == "You are invited to Alpha Bcc: everyone@example.org"
    assert "everyone@example.org" not in sent[0].bcc
