"""Filing tickets and following them from the participant portal."""

from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from core.models import OutboxMessage
from feedback.models import Ticket, TicketAttachment, TicketComment
from programs.selectors import current_terms
from tests.factories import make_participant

from .conftest import actions_of, png, stored_files


def bug_form(programme, **extra):
    data = {
        "programme": programme.pk,
        "kind": "bug",
        "title": "Faces melt after 3 seconds",
        "description": "Every clip with a face degrades.",
        "steps_to_reproduce": "1. Prompt a portrait\n2. Generate 5 s",
        "expected_result": "A stable face",
        "actual_result": "A melting face",
        "severity": "medium",
    }
    data.update(extra)
    return data


def test_a_participant_files_a_bug_with_a_screenshot_under_the_terms_in_force(
    programme, participant, as_user, media_root
):
    client = as_user(participant)
    response = client.post(
        "/tickets/new/", {**bug_form(programme), "attachments": [png()]}, follow=True
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.reporter == participant
    assert ticket.status == Ticket.Status.NEW
    assert ticket.terms_version == current_terms(programme)
    attachment = TicketAttachment.objects.get()
    assert attachment.content_type == "image/png"
    assert attachment.original_name == "screenshot.png"
    assert "screenshot" not in attachment.file.name  # stored under a generated name
    assert len(stored_files(media_root)) == 1
    assert b"Faces melt after 3 seconds" in response.content
    assert actions_of(ticket) == ["feedback.ticket.filed"]


def test_a_participant_who_has_not_accepted_the_terms_cannot_file(programme, as_user):
    newcomer = make_participant(programme, consent=False, email="newcomer@example.com")
    response = as_user(newcomer).post("/tickets/new/", bug_form(programme))
    assert response.status_code == 400
    assert (
        "Accept the terms (version 1) before doing any further work." in response.content.decode()
    )
    assert not Ticket.objects.exists()


def test_an_outsider_cannot_file_in_a_programme_they_are_not_part_of(programme, outsider, as_user):
    response = as_user(outsider).post("/tickets/new/", bug_form(programme))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_a_bug_without_severity_is_refused_and_feedback_with_one_is_refused(
    programme, participant, as_user
):
    client = as_user(participant)
    response = client.post("/tickets/new/", bug_form(programme, severity=""))
    assert "Bugs and safety findings need a severity" in response.content.decode()
    response = client.post("/tickets/new/", bug_form(programme, kind="feedback"))
    assert "Only bugs and safety findings have a severity" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_disguised_executable_is_refused_with_a_clear_message_and_nothing_is_stored(
    programme, participant, as_user, media_root
):
    exe = SimpleUploadedFile("cute-cat.png", b"MZ\x90\x00" + b"\x00" * 200, "image/png")
    response = as_user(participant).post(
        "/tickets/new/", {**bug_form(programme), "attachments": [png(), exe]}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "“cute-cat.png” was refused" in text
    assert "Nothing was saved." in text
    assert not Ticket.objects.exists()
    assert not TicketAttachment.objects.exists()
    assert stored_files(media_root) == []


def test_an_elf_binary_named_like_a_log_is_refused(programme, participant, as_user, media_root):
    elf = SimpleUploadedFile("crash.log", b"\x7fELF\x02\x01\x01" + b"\x00" * 200)
    response = as_user(participant).post(
        "/tickets/new/", {**bug_form(programme), "attachments": [elf]}
    )
    assert response.status_code == 400
    assert "“crash.log” was refused" in response.content.decode()
    assert stored_files(media_root) == []


def test_a_plain_text_log_is_accepted(programme, participant, as_user):
    log = SimpleUploadedFile("console.log", b"ERROR frame 48: decoder stalled\n")
    as_user(participant).post("/tickets/new/", {**bug_form(programme), "attachments": [log]})
    assert TicketAttachment.objects.get().content_type == "text/plain"


def test_a_reporter_sees_comments_meant_for_them_but_never_internal_ones(
    programme, participant, reviewer, file_ticket, as_user
):
    ticket = file_ticket(participant, programme)
    client = as_user(reviewer)
    client.post(f"/tickets/{ticket.pk}/comment/", {"body": "Thanks, we can see it too."})
    client.post(
        f"/tickets/{ticket.pk}/comment/", {"body": "Probably the 2.1 decoder.", "internal": "on"}
    )
    assert TicketComment.objects.filter(visible_to_reporter=False).count() == 1
    page = as_user(participant).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Thanks, we can see it too." in page
    assert "Probably the 2.1 decoder." not in page
    staff_page = as_user(reviewer).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Probably the 2.1 decoder." in staff_page
    assert actions_of(ticket).count("feedback.ticket.commented") == 2
    # Only the public comment was sent to the reporter.
    assert OutboxMessage.objects.filter(recipient=participant).count() == 1


def test_a_reporter_never_sees_another_participants_tickets(
    programme, participant, participant2, file_ticket, as_user
):
    theirs = file_ticket(participant2, programme, title="Someone else's secret finding")
    file_ticket(participant, programme, title="My own bug")
    client = as_user(participant)
    assert client.get(f"/tickets/{theirs.pk}/").status_code == 404
    listing = client.get("/tickets/").content.decode()
    assert "My own bug" in listing
    assert "Someone else&#x27;s secret finding" not in listing
    assert "secret finding" not in listing
    attachment_ticket = file_ticket(participant2, programme, attachments=[png()])
    attachment = attachment_ticket.attachments.get()
    assert client.get(f"/tickets/attachments/{attachment.pk}/").status_code == 404
    assert client.post(f"/tickets/{theirs.pk}/comment/", {"body": "hi"}).status_code == 404


def test_the_reporter_downloads_their_own_attachment(programme, participant, file_ticket, as_user):
    ticket = file_ticket(participant, programme, attachments=[png()])
    response = as_user(participant).get(f"/tickets/attachments/{ticket.attachments.get().pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "attachment" in response["Content-Disposition"]


def test_a_participant_cannot_change_a_tickets_status(programme, participant, file_ticket, as_user):
    ticket = file_ticket(participant, programme)
    response = as_user(participant).post(f"/tickets/{ticket.pk}/status/", {"status": "accepted"})
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_my_tickets_costs_a_fixed_number_of_queries(
    programme, participant, file_ticket, as_user, django_assert_max_num_queries
):
    for i in range(5):
        file_ticket(participant, programme, title=f"Bug {i}")
    client = as_user(participant)
    with django_assert_max_num_queries(4):
        response = client.get("/tickets/")
    assert response.status_code == 200
    for i in range(25):
        file_ticket(participant, programme, title=f"More {i}")
    with django_assert_max_num_queries(4):
        response = client.get("/tickets/")
    assert response.content.decode().count('href="/tickets/') >= 30


def test_the_portal_home_links_to_tickets_and_hours(participant, as_user):
    page = as_user(participant).get("/portal/").content.decode()
    assert 'href="/tickets/new/"' in page
    assert 'href="/hours/"' in page


def test_filing_a_ticket_leaves_an_audit_event_about_the_reporter(
    programme, participant, file_ticket
):
    ticket = file_ticket(participant, programme)
    event = AuditEvent.objects.get(action="feedback.ticket.filed")
    assert event.subject == participant
    assert event.programme == programme
    assert event.object_id == str(ticket.pk)


def test_the_reporter_adds_a_log_to_a_ticket_with_a_comment(
    programme, participant, file_ticket, as_user, media_root
):
    ticket = file_ticket(participant, programme)
    log = SimpleUploadedFile("player.txt", b"frame 48: stall\n")
    response = as_user(participant).post(
        f"/tickets/{ticket.pk}/comment/", {"body": "Here is the log.", "attachments": [log]}
    )
    assert response.status_code == 302
    assert ticket.attachments.get().content_type == "text/plain"
    assert actions_of(ticket) == [
        "feedback.ticket.filed",
        "feedback.ticket.attachment_added",
        "feedback.ticket.commented",
    ]


def test_a_disguised_file_on_a_comment_is_refused_and_the_comment_is_not_saved(
    programme, participant, file_ticket, as_user, media_root
):
    ticket = file_ticket(participant, programme)
    elf = SimpleUploadedFile("shot.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 100)
    response = as_user(participant).post(
        f"/tickets/{ticket.pk}/comment/", {"body": "See file", "attachments": [elf]}
    )
    assert response.status_code == 400
    assert "“shot.png” was refused" in response.content.decode()
    assert not ticket.comments.exists()
    assert stored_files(media_root) == []
