"""Getting in, consenting, pausing and leaving, through the pages."""

import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from participants.models import AccessPause, Application, Consent, Invitation, Participation
from participants.services import access_check
from programs import services as programme_services
from programs.models import Programme, TermsVersion


def _invite(client, programme, text):
    return client.post(
        f"/staff/programmes/{programme.slug}/invitations/", {"emails": text, "days_valid": 14}
    )


def test_invite_accept_consent_active(
    programme, manager, as_user, user_factory, client, django_capture_on_commit_callbacks
):
    staff = as_user(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(
            staff, programme, "new.tester@example.com, second@example.com\nthird@example.com"
        )
    assert response.status_code == 302
    assert Invitation.objects.filter(programme=programme).count() == 3
    link = re.search(
        r"/portal/invitations/\S+/",
        [m for m in mail.outbox if "new.tester@example.com" in m.to][0].body,
    ).group(0)

    tester = user_factory(email="new.tester@example.com")
    client.force_login(tester)
    page = client.get(link).content.decode()
    assert "Key facts" in page and "Paid €25.00 per hour worked." in page
    response = client.post(link, {"accept": "1"})
    assert response["Location"] == f"/portal/programmes/{programme.slug}/consent/"
    assert access_check(tester, programme).code == "consent_required"

    consent_page = client.get(response["Location"]).content.decode()
    terms = programme.terms.get()
    assert "I have read these terms and accept them" in consent_page
    client.post(response["Location"], {"terms_hash": terms.content_hash, "accept": "on"})
    consent = Consent.objects.get(participation__user=tester)
    assert consent.terms_hash == terms.content_hash and consent.terms_version == terms
    assert access_check(tester, programme).active
    shown = client.get(f"/portal/programmes/{programme.slug}/").content.decode()
    assert terms.content_hash in shown and "Active" in shown
    actions = set(AuditEvent.objects.filter(subject=tester).values_list("action", flat=True))
    assert {"participants.participation.joined", "participants.consent.accepted"} <= actions


def test_pasting_an_invalid_address_sends_nothing(programme, manager, as_user):
    response = _invite(as_user(manager), programme, "ok@example.com, not-an-email")
    assert response.status_code == 400
    assert "Not email addresses: not-an-email. Nothing was sent." in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_invitation_for_someone_else_or_expired_cannot_be_used(
    programme, manager, as_user, participant2, user_factory, client
):
    from participants.services import invitations_create

    invitation = invitations_create(
        actor=manager, programme=programme, emails=["invitee@example.com"]
    )[0]
    client.force_login(user_factory(email="someone.else@example.com"))
    page = client.post(
        f"/portal/invitations/{invitation.plain_token}/", {"accept": "1"}
    ).content.decode()
    assert "This invitation is for invitee@example.com" in page
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    page = client.get(f"/portal/invitations/{invitation.plain_token}/").content.decode()
    assert "This invitation expired" in page


def test_an_invitee_can_decline_with_a_reason_without_an_account(programme, manager, client):
    from participants.services import invitations_create

    invitation = invitations_create(actor=manager, programme=programme, emails=["no@example.com"])[
        0
    ]
    client.post(
        f"/portal/invitations/{invitation.plain_token}/",
        {"decline": "1", "decline-reason": "Unpaid work"},
    )
    invitation.refresh_from_db()
    assert invitation.status == "declined" and invitation.decline_reason == "Unpaid work"


def test_a_material_change_blocks_work_until_re_consent(programme, manager, participant, as_user):
    assert access_check(participant, programme).active
    draft = programme_services.terms_draft_create(actor=manager, programme=programme)
    programme_services.terms_draft_update(actor=manager, terms=draft, hourly_rate="20.00")
    v2 = programme_services.terms_publish(actor=manager, terms=draft)
    assert access_check(participant, programme).active  # during the notice period v1 still holds
    TermsVersion.objects.filter(pk=v2.pk).update(effective_at=timezone.now() - timedelta(minutes=1))
    status = access_check(participant, programme)
    assert not status.active and status.code == "consent_required"
    client = as_user(participant)
    portal = client.get("/portal/").content.decode()
    assert "Accept the terms of Alpha" in portal
    page = client.get(f"/portal/programmes/{programme.slug}/consent/").content.decode()
    assert "What changed since the version you accepted (v1)" in page and "20.00" in page
    v2.refresh_from_db()
    client.post(
        f"/portal/programmes/{programme.slug}/consent/",
        {"terms_hash": v2.content_hash, "accept": "on"},
    )
    assert access_check(participant, programme).active


def test_a_non_material_change_needs_no_new_consent(programme, manager, participant):
    """A change of the full text alone is not material once a second manager confirms
    it is editorial (issue 29: before, the manager's own word was enough)."""
    from tests.factories import make_staff

    second = make_staff(programme, "manager", email="second-manager@example.com")
    draft = programme_services.terms_draft_create(actor=manager, programme=programme)
    programme_services.terms_draft_update(
        actor=manager, terms=draft, material_change=False, body="Typo fixed."
    )
    programme_services.terms_editorial_request(actor=manager, terms=draft)
    programme_services.terms_editorial_confirm(actor=second, terms=draft)
    programme_services.terms_publish(actor=manager, terms=draft)
    status = access_check(participant, programme)
    assert status.active and status.terms.number == 2


def test_a_consent_to_terms_the_person_did_not_see_is_refused(programme, as_user):
    from tests.factories import make_participant

    newcomer = make_participant(programme, consent=False, email="newcomer@example.com")
    client = as_user(newcomer)
    url = f"/portal/programmes/{programme.slug}/consent/"
    page = client.post(url, {"terms_hash": "0" * 64, "accept": "on"}).content.decode()
    assert "The terms you were shown are not these terms" in page
    page = client.post(url, {"terms_hash": programme.terms.get().content_hash}).content.decode()
    assert "Tick the box to accept the terms" in page
    assert not Consent.objects.filter(participation__user=newcomer).exists()


def test_a_pause_blocks_new_work_but_not_withdrawal(
    programme, manager, participant, participant2, as_user, django_capture_on_commit_callbacks
):
    staff = as_user(manager)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/staff/programmes/{programme.slug}/pauses/", {"reason": "Security incident"})
    assert AccessPause.objects.filter(programme=programme, ended_at__isnull=True).count() == 1
    status = access_check(participant, programme)
    assert (
        not status.active
        and status.code == "programme_paused"
        and "Security incident" in status.message
    )
    assert {m.to[0] for m in mail.outbox if "paused" in m.subject} == {
        "participant@example.com",
        "participant2@example.com",
    }
    client = as_user(participant)
    client.post(f"/portal/programmes/{programme.slug}/withdraw/", {"reason": "Leaving"})
    participation = Participation.objects.get(user=participant, programme=programme)
    assert participation.status == "withdrawn" and participation.consents.exists()
    assert access_check(participant, programme).code == "withdrawn"
    staff = as_user(manager)
    pause = AccessPause.objects.get(programme=programme)
    staff.post(f"/staff/programmes/{programme.slug}/pauses/{pause.pk}/end/")
    assert access_check(participant2, programme).active
    assert Programme.objects.get(pk=programme.pk).status == "running"


def test_a_participant_pause_and_removal_need_reasons_they_can_read(
    programme, manager, participant, as_user
):
    participation = Participation.objects.get(user=participant, programme=programme)
    staff = as_user(manager)
    url = f"/staff/programmes/{programme.slug}/participants/{participation.pk}/"
    staff.post(url, {"action": "pause", "reason": ""})
    assert access_check(participant, programme).active
    staff.post(url, {"action": "pause", "reason": "Shared access publicly"})
    status = access_check(participant, programme)
    assert status.code == "participant_paused" and "Shared access publicly" in status.message
    staff.post(url, {"action": "remove", "reason": "Repeated leaks"})
    participation.refresh_from_db()
    assert participation.status == "removed" and participation.status_reason == "Repeated leaks"


def test_applications_are_accepted_or_rejected_with_a_reason(
    programme, manager, user_factory, as_user, client
):
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.OPEN)
    applicant = user_factory(email="applicant@example.com")
    client.force_login(applicant)
    client.post(
        f"/portal/programmes/{programme.slug}/apply/", {"motivation": "I test video models."}
    )
    application = Application.objects.get(user=applicant)
    staff = as_user(manager)
    url = f"/staff/programmes/{programme.slug}/applications/{application.pk}/"
    staff.post(url, {"decision": "reject", "reason": ""})
    application.refresh_from_db()
    assert application.status == "pending"
    staff.post(url, {"decision": "accept", "reason": "Welcome"})
    application.refresh_from_db()
    assert application.status == "accepted"
    assert access_check(applicant, programme).code == "consent_required"


def test_the_participants_list_filters_by_consent_state_in_few_queries(
    programme, manager, participant, as_user, django_assert_max_num_queries
):
    from tests.factories import make_participant

    for i in range(15):
        make_participant(programme, consent=i % 3 != 0, email=f"p{i}@example.com")
    client = as_user(manager)
    with django_assert_max_num_queries(12):
        html = client.get(
            f"/staff/programmes/{programme.slug}/participants/?consent=pending"
        ).content.decode()
    assert html.count("must accept") == 5 and "accepted</span>" not in html
    with django_assert_max_num_queries(12):
        html = client.get(
            f"/staff/programmes/{programme.slug}/participants/?consent=current"
        ).content.decode()
    assert html.count("accepted</span>") == 11


def test_the_access_check_explains_every_reason(
    programme, other_programme, participant, outsider, client
):
    assert access_check(participant, other_programme).code == "not_a_participant"
    from django.contrib.auth.models import AnonymousUser

    assert access_check(AnonymousUser(), programme).code == "not_signed_in"
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.CLOSED)
    programme.refresh_from_db()
    assert access_check(participant, programme).code == "programme_not_running"


def test_pausing_a_participant_keeps_the_list_filters(client, programme, manager, participant):
    """The action form posts with the list's filters and comes back to the same list."""
    from django.urls import reverse

    client.force_login(manager)
    listing = reverse("participants:staff_participants", args=[programme.slug])
    html = client.get(listing + "?status=active&q=participant").content.decode()
    assert "?status=active&amp;q=participant" in html
    action = reverse(
        "participants:staff_participant_action",
        args=[programme.slug, participant.participations.get(programme=programme).pk],
    )
    response = client.post(
        action + "?status=active&q=participant", {"action": "pause", "reason": "Holiday"}
    )
    assert response.status_code == 302
    assert response["Location"] == listing + "?status=active&q=participant"
