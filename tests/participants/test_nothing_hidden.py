"""Nothing hidden at the door (issue 33): an invitation, an application form and the public
page show every published version not yet in force, with its date and its diff, worse marked;
joining records that the coming version was shown."""

import re

from django.core import mail
from django.test import Client

from audit.models import AuditEvent
from participants.models import Consent, Invitation
from programs import services as programme_services


def _publish_worse_rate(programme, manager, rate="18.00", summary="The hourly rate goes down."):
    draft = programme_services.terms_draft_create(actor=manager, programme=programme)
    programme_services.terms_draft_update(
        actor=manager, terms=draft, hourly_rate=rate, change_summary=summary
    )
    return programme_services.terms_publish(actor=manager, terms=draft)


def _coming_block(html: str) -> str:
    start = html.index('class="card coming-terms"')
    return html[start : html.index("</section>", start)]


def test_an_invitation_shows_the_coming_worse_version_and_joining_records_it(
    programme, manager, user_factory, django_capture_on_commit_callbacks
):
    v2 = _publish_worse_rate(programme, manager)
    assert v2.effective_at > v2.published_at  # in its notice period: not in force yet
    staff = Client()
    staff.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            f"/staff/programmes/{programme.slug}/invitations/",
            {"emails": "new.artist@example.com", "days_valid": 14},
        )
    body = mail.outbox[-1].body
    assert (
        f"Already published: version 2 of the terms takes effect on {v2.effective_at:%d %b %Y}. "
        "Worse for you: Hourly rate." in body
    )
    link = re.search(r"/portal/invitations/\S+/", body).group(0)

    artist = user_factory(email="new.artist@example.com")
    tester = Client()
    page = tester.get(link).content.decode()  # before signing in, too
    block = _coming_block(page)
    assert f"Version 2: in force from {v2.effective_at:%Y-%m-%d %H:%M} UTC" in block
    assert "Worse for you:</strong> Hourly rate." in block
    assert "25.00" in block and "18.00" in block
    assert "The manager's summary of this change:</strong> The hourly rate goes down." in block

    tester.force_login(artist)
    page = tester.get(link).content.decode()
    assert "joining also records that you were shown version 2" in page
    # A page that did not show the coming version cannot be used to join.
    refused = tester.post(link, {"accept": "1", "coming_hashes": ""}).content.decode()
    assert "Reload the page and read what is coming" in refused
    assert Invitation.objects.get(email="new.artist@example.com").status == "pending"
    response = tester.post(link, {"accept": "1", "coming_hashes": v2.content_hash})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="participants.invitation.accepted")
    assert event.data["acknowledged"][0]["number"] == 2
    assert event.data["acknowledged"][0]["hash"] == v2.content_hash

    # The consent screen: the terms in force to accept, the coming version acknowledged.
    consent_url = f"/portal/programmes/{programme.slug}/consent/"
    page = tester.get(consent_url).content.decode()
    assert "Terms of Alpha, version 1" in page
    assert "you also acknowledge the version below" in page
    assert "Worse for you:</strong> Hourly rate." in _coming_block(page)
    v1 = programme.terms.get(number=1)
    tester.post(
        consent_url,
        {"terms_hash": v1.content_hash, "coming_hashes": v2.content_hash, "accept": "on"},
    )
    consent = Consent.objects.get(participation__user=artist)
    assert consent.terms_version == v1
    assert [a["number"] for a in consent.acknowledged] == [2]
    assert consent.acknowledged[0]["hash"] == v2.content_hash


def test_a_consent_that_hid_a_coming_version_is_refused(programme, manager, user_factory):
    from participants.models import Participation

    v2 = _publish_worse_rate(programme, manager)
    artist = user_factory(email="late@example.com")
    Participation.objects.create(user=artist, programme=programme)
    tester = Client()
    tester.force_login(artist)
    v1 = programme.terms.get(number=1)
    page = tester.post(
        f"/portal/programmes/{programme.slug}/consent/",
        {"terms_hash": v1.content_hash, "coming_hashes": "", "accept": "on"},
    ).content.decode()
    assert "Reload the page and read what is coming" in page
    assert not Consent.objects.filter(participation__user=artist).exists()
    assert v2.number == 2


def test_the_application_form_and_the_public_page_show_every_coming_version(
    programme, manager, user_factory, client
):
    v2 = _publish_worse_rate(programme, manager)
    public = client.get(f"/programmes/{programme.slug}/").content.decode()
    block = _coming_block(public)
    assert f"Version 2: in force from {v2.effective_at:%Y-%m-%d %H:%M} UTC" in block
    assert "Worse for you:</strong> Hourly rate." in block and "18.00" in block

    client.force_login(user_factory(email="applicant@example.com"))
    form = client.get(f"/portal/programmes/{programme.slug}/apply/").content.decode()
    block = _coming_block(form)
    assert "Version 2: in force from" in block and "Worse for you:</strong> Hourly rate." in block


def test_nothing_coming_shows_no_coming_block(programme, client):
    public = client.get(f"/programmes/{programme.slug}/").content.decode()
    assert "coming-terms" not in public
