"""Managers write, preview and publish terms in the staff area; published terms never change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.db import AppendOnlyError
from core.errors import DomainError
from programs import services
from programs.models import Programme, TermsVersion

FAIR_FORM = {
    "change_summary": "",
    "material_change": "on",
    "expected_activities": ["bug_testing", "feedback"],
    "expected_hours_per_week": "5",
    "pay_model": "hourly",
    "currency": "EUR",
    "hourly_rate": "30.00",
    "approval_scope": "public_sharing",
    "review_deadline_hours": "72",
    "on_missed_deadline": "deemed_approved",
    "appeals_allowed": "on",
    "training_use": "no",
    "voluntary": "on",
    "right_to_withdraw": "on",
    "notice_period_days": "14",
    "body": "Line one.\nLine two.",
}


def _new_programme(client):
    response = client.post(
        "/staff/programmes/new/",
        {"name": "Gamma", "slug": "gamma", "product": "A game", "currency": "eur"},
    )
    assert response.status_code == 302, response.content.decode()
    return Programme.objects.get(slug="gamma")


def test_a_manager_creates_a_programme_drafts_previews_and_publishes_terms(manager, as_user):
    client = as_user(manager)
    programme = _new_programme(client)
    assert programme.currency == "EUR" and programme.status == Programme.Status.DRAFT
    client.post("/staff/programmes/gamma/terms/new/")
    preview = client.post("/staff/programmes/gamma/terms/1/", {**FAIR_FORM, "preview": "1"})
    html = preview.content.decode()
    assert "Paid €30.00 per hour worked." in html
    assert "Review within 72 h, else deemed approved." in html
    assert (
        TermsVersion.objects.get(programme=programme).hourly_rate is None
    )  # preview saves nothing
    response = client.post("/staff/programmes/gamma/terms/1/", {**FAIR_FORM, "publish": "1"})
    assert response.status_code == 302
    terms = TermsVersion.objects.get(programme=programme)
    assert terms.is_published and len(terms.content_hash) == 64
    assert terms.content_hash == terms.compute_hash()
    assert AuditEvent.objects.filter(
        action="programs.terms.published", object_id=str(terms.pk)
    ).exists()
    client.post("/staff/programmes/gamma/status/", {"status": "running"})
    programme.refresh_from_db()
    assert programme.status == Programme.Status.RUNNING


def test_incoherent_terms_are_refused_with_the_field_named(manager, as_user):
    client = as_user(manager)
    _new_programme(client)
    client.post("/staff/programmes/gamma/terms/new/")
    bad = {**FAIR_FORM, "hourly_rate": "", "review_deadline_hours": "", "publish": "1"}
    response = client.post("/staff/programmes/gamma/terms/1/", bad)
    html = response.content.decode()
    assert response.status_code == 400
    assert "An hourly model needs a rate." in html
    assert "Deemed approval needs a review deadline." in html
    assert not TermsVersion.objects.filter(programme__slug="gamma", status="published").exists()


def test_a_published_version_cannot_be_edited(programme, manager, as_user):
    terms = programme.terms.get()
    before = terms.content_hash
    client = as_user(manager)
    response = client.post(
        f"/staff/programmes/{programme.slug}/terms/1/", {**FAIR_FORM, "save": "1"}
    )
    assert (
        response.status_code == 302
        and response["Location"] == f"/programmes/{programme.slug}/terms/1/"
    )
    with pytest.raises(DomainError, match="can never change"):
        services.terms_draft_update(actor=manager, terms=terms, hourly_rate="1")
    terms.refresh_from_db()
    assert terms.content_hash == before and terms.hourly_rate == 25


def test_the_key_facts_of_the_criticised_terms_read_plainly(db):
    from demo.base import CRITICISED

    terms = TermsVersion(number=1, **CRITICISED)
    facts = terms.key_facts()
    assert facts[0] == "Unpaid."
    for sentence in (
        "Every output needs approval before sharing.",
        "No review deadline.",
        "NDA until launch.",
        "Your outputs may be used for training.",
    ):
        assert sentence in facts


def test_the_diff_shows_changed_fields_side_by_side_and_the_body_line_by_line(
    programme, manager, client
):
    draft = services.terms_draft_create(actor=manager, programme=programme)
    services.terms_draft_update(
        actor=manager, terms=draft, hourly_rate="40.00", body="These are the new terms."
    )
    services.terms_publish(actor=manager, terms=draft)
    html = client.get(f"/programmes/{programme.slug}/terms/diff/?from=1&to=2").content.decode()
    assert "Hourly rate" in html and "25.00" in html and "40.00" in html
    assert "<del>These are the terms.</del>" in html
    assert "<ins>These are the new terms.</ins>" in html
    assert client.get(f"/programmes/{programme.slug}/terms/diff/?from=x").status_code == 404


def test_a_material_change_takes_effect_after_the_notice_period(programme, manager):
    draft = services.terms_draft_create(actor=manager, programme=programme)
    published = services.terms_publish(actor=manager, terms=draft)
    notice = programme.terms.get(number=1).notice_period_days
    assert published.effective_at - published.published_at == timedelta(days=notice)


def test_the_public_page_shows_key_facts_history_and_upcoming_terms(programme, manager, client):
    draft = services.terms_draft_create(actor=manager, programme=programme)
    services.terms_publish(actor=manager, terms=draft)
    html = client.get(f"/programmes/{programme.slug}/").content.decode()
    assert "Key facts" in html and "Paid €25.00 per hour worked." in html
    assert "A new version of the terms is coming" in html
    assert "Version 2: in force from" in html
    assert "Diff with v1" in html


def test_consents_are_never_edited_or_deleted(participant, programme):
    consent = participant.participations.get().consents.get()
    with pytest.raises(AppendOnlyError):
        consent.save()
    with pytest.raises(AppendOnlyError):
        consent.delete()


def test_a_non_manager_cannot_open_another_programmes_staff_pages(
    programme, other_programme, manager, as_user
):
    client = as_user(manager)
    assert client.get(f"/staff/programmes/{other_programme.slug}/").status_code == 404
    assert client.post(f"/staff/programmes/{other_programme.slug}/terms/new/").status_code == 404
    assert client.get(f"/staff/programmes/{programme.slug}/").status_code == 200


def test_publishing_needs_terms_before_opening(manager, as_user):
    client = as_user(manager)
    programme = _new_programme(client)
    client.post("/staff/programmes/gamma/status/", {"status": "open"})
    programme.refresh_from_db()
    assert programme.status == Programme.Status.DRAFT
    page = client.get("/staff/programmes/gamma/").content.decode()
    assert "Publish the terms before opening the programme." in page


def test_upcoming_terms_are_not_in_force_yet(programme, manager):
    from programs.selectors import current_terms

    draft = services.terms_draft_create(actor=manager, programme=programme)
    services.terms_publish(actor=manager, terms=draft)
    assert current_terms(programme).number == 1
    assert current_terms(programme, timezone.now() + timedelta(days=15)).number == 2
