"""A terms version translated: published later by its own audited event, never touching the
binding text; a consent records the language and hash of exactly the text it showed."""

import io
import json
import re
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from participants.models import Consent
from programs.models import TermsVersion
from programs.services import terms_translation_publish
from tests.audit import tamper
from tests.factories import make_participant

FRENCH = {
    "body": "Voici les conditions. Elles sont traduites de l’anglais, qui seul fait foi.",
}


@pytest.fixture
def terms(programme):
    return programme.terms.get(number=1)


@pytest.fixture
def french(terms, manager):
    return terms_translation_publish(actor=manager, terms=terms, language="fr", texts=FRENCH)


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def test_publishing_a_translation_later_is_audited_and_leaves_the_binding_text_alone(
    terms, manager
):
    before = (terms.body, terms.content_hash, terms.compute_hash())
    translation = terms_translation_publish(actor=manager, terms=terms, language="fr", texts=FRENCH)
    terms = TermsVersion.objects.get(pk=terms.pk)
    assert (terms.body, terms.content_hash, terms.compute_hash()) == before
    event = AuditEvent.objects.get(action="programs.terms.translation_published")
    assert event.actor == manager and event.object_id == str(translation.pk)
    assert event.data["language"] == "fr" and event.data["binding_hash"] == terms.content_hash
    assert event.data["content_hash"] == translation.content_hash
    call_command("audit_verify")  # the translation's bound fields match its event


def test_a_published_translation_never_changes_and_needs_every_stated_term(terms, manager, french):
    with pytest.raises(DomainError, match="already has its Français translation"):
        terms_translation_publish(actor=manager, terms=terms, language="fr", texts=FRENCH)
    with pytest.raises(DomainError, match="full text"):
        terms_translation_publish(actor=manager, terms=terms, language="de", texts={})
    with pytest.raises(DomainError, match="binding one"):
        terms_translation_publish(actor=manager, terms=terms, language="en-gb", texts=FRENCH)
    assert terms.translations.count() == 1


def test_only_a_manager_of_the_programme_publishes_a_translation(terms, participant, reviewer):
    for person in (participant, reviewer):
        with pytest.raises(NotAllowed):
            terms_translation_publish(actor=person, terms=terms, language="fr", texts=FRENCH)
    assert not terms.translations.exists()


def test_a_consent_to_the_french_translation_stores_its_language_and_hash_and_shows_them_back(
    client, programme, terms, french
):
    tester = make_participant(programme, consent=False, email="camille@example.com")
    client.force_login(tester)
    page = client.get("/portal/programmes/alpha/consent/", HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    assert "Voici les conditions." in html and "These are the terms." not in html
    assert "Vous lisez une traduction (Français)." in html
    assert french.content_hash in html
    assert _hidden(html, "shown_language") == "fr"
    response = client.post(
        "/portal/programmes/alpha/consent/",
        {
            "terms_hash": _hidden(html, "terms_hash"),
            "coming_hashes": "",
            "shown_language": _hidden(html, "shown_language"),
            "shown_hash": _hidden(html, "shown_hash"),
            "accept": "on",
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 302
    consent = Consent.objects.get(participation__user=tester)
    assert consent.shown_language == "fr" and consent.translation == french
    assert consent.shown_hash == french.content_hash != terms.content_hash
    assert consent.terms_version == terms and consent.terms_hash == terms.content_hash
    event = AuditEvent.objects.get(action="participants.consent.accepted", subject=tester)
    assert event.data["shown_language"] == "fr" and event.data["shown_hash"] == french.content_hash
    # Shown back on the consent record…
    record = client.get("/portal/programmes/alpha/").content.decode()
    assert "Français (translation of v1)" in record and french.content_hash in record
    # …and in the data download.
    archive = client.get("/portal/my-data/?download=1")
    data = json.loads(
        zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).read("data.json")
    )
    [mine] = data["consents"]
    assert mine["shown_language"] == "fr" and mine["shown_hash"] == french.content_hash
    assert mine["shown_translation"] is True and mine["terms_hash"] == terms.content_hash
    call_command("audit_verify")


def test_the_binding_text_can_still_be_chosen_and_is_recorded_as_such(
    client, programme, terms, french
):
    tester = make_participant(programme, consent=False, email="lea@example.com")
    client.force_login(tester)
    html = client.get(
        "/portal/programmes/alpha/consent/?text=en-gb", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "These are the terms." in html and _hidden(html, "shown_language") == "en-gb"
    client.post(
        "/portal/programmes/alpha/consent/?text=en-gb",
        {
            "terms_hash": terms.content_hash,
            "shown_language": "en-gb",
            "shown_hash": terms.content_hash,
            "accept": "on",
        },
    )
    consent = Consent.objects.get(participation__user=tester)
    assert consent.shown_language == "en-gb" and consent.translation is None
    assert consent.shown_hash == terms.content_hash


def test_a_consent_naming_a_text_that_was_not_shown_is_refused_and_records_nothing(
    client, programme, terms, french
):
    tester = make_participant(programme, consent=False, email="remi@example.com")
    client.force_login(tester)
    for language, shown_hash in (("fr", terms.content_hash), ("fr", "0" * 64), ("de", "0" * 64)):
        page = client.post(
            "/portal/programmes/alpha/consent/",
            {
                "terms_hash": terms.content_hash,
                "shown_language": language,
                "shown_hash": shown_hash,
                "accept": "on",
            },
        )
        assert page.status_code == 200
        assert "Reload the page" in page.content.decode() or "no translation" in (
            page.content.decode()
        )
    assert not Consent.objects.filter(participation__user=tester).exists()


def test_a_changed_shown_hash_fails_verification(client, programme, terms, french):
    tester = make_participant(programme, consent=False, email="ines@example.com")
    client.force_login(tester)
    client.post(
        "/portal/programmes/alpha/consent/",
        {
            "terms_hash": terms.content_hash,
            "shown_language": "fr",
            "shown_hash": french.content_hash,
            "accept": "on",
        },
    )
    consent = Consent.objects.get(participation__user=tester)
    call_command("audit_verify")
    # Behind the log's back: raw SQL, the append-only trigger set aside.
    tamper.sql(
        "UPDATE participants_consent SET shown_hash = %s WHERE id = %s",
        [terms.content_hash, consent.pk],
    )
    with pytest.raises(CommandError, match="shown_hash"):
        call_command("audit_verify")


def test_a_manager_publishes_a_translation_on_the_versions_page(client, programme, manager):
    client.force_login(manager)
    url = "/staff/programmes/alpha/terms/1/translations/"
    page = client.get(url).content.decode()
    # The form offers the languages other than the binding one (the menu's options say lang=).
    assert "No translation yet." in page and '<option value="fr">' in page
    assert '<option value="en-gb">' not in page
    # Bad input: the full text left out. A clear message, nothing published.
    refused = client.post(url, {"language": "fr", "body": ""})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    assert not programme.terms.get(number=1).translations.exists()
    done = client.post(url, {"language": "fr", "body": "Voici les conditions."}, follow=True)
    html = done.content.decode()
    assert "The Français translation of version 1 is published." in html
    [french] = programme.terms.get(number=1).translations.all()
    assert french.content_hash in html and french.published_by == manager
    assert '<option value="fr">' not in html  # published once: it is no longer offered


def test_nobody_but_the_programmes_managers_opens_the_translation_page(
    client, programme, participant, reviewer
):
    for person in (participant, reviewer):
        client.force_login(person)
        response = client.post(
            "/staff/programmes/alpha/terms/1/translations/", {"language": "fr", "body": "x"}
        )
        assert response.status_code in (403, 404)
    assert not programme.terms.get(number=1).translations.exists()
