"""The emails a tester receives are written in their language: their own setting, else the
programme's default language, else English."""

from core.models import OutboxMessage, PersonSettings
from programs.models import Programme


def test_a_ticket_decision_reaches_its_reporter_in_their_language(
    programme, participant, reviewer, file_ticket, as_user
):
    PersonSettings.objects.create(user=participant, language="ja")
    ticket = file_ticket(participant, programme, title="Frame 48")
    response = as_user(reviewer).post(f"/tickets/{ticket.pk}/status/", {"status": "accepted"})
    assert response.status_code == 302
    mail = OutboxMessage.objects.get(recipient=participant, subject__startswith="チケット")
    assert mail.subject == f"チケット #{ticket.pk}：受理"
    assert mail.body.startswith("チケット「Frame 48」は「受理」になりました。")


def test_without_a_setting_the_programme_language_is_used_then_english(
    programme, participant, participant2, reviewer, file_ticket, as_user
):
    Programme.objects.filter(pk=programme.pk).update(default_language="de")
    ticket = file_ticket(participant, programme, title="Frame 48")
    as_user(reviewer).post(f"/tickets/{ticket.pk}/status/", {"status": "accepted"})
    mail = OutboxMessage.objects.get(recipient=participant, subject__startswith="Ticket")
    assert mail.body.startswith("Ihr Ticket „Frame 48“ ist jetzt: angenommen.")
    Programme.objects.filter(pk=programme.pk).update(default_language="")
    ticket = file_ticket(participant2, programme, title="Frame 49")
    as_user(reviewer).post(f"/tickets/{ticket.pk}/status/", {"status": "accepted"})
    mail = OutboxMessage.objects.get(recipient=participant2, subject__startswith="Ticket")
    assert mail.body.startswith("Your ticket “Frame 49” is now accepted.")
