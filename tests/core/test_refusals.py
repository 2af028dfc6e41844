"""Errors are mapped once: a refusal says why, where the person acted, and changes nothing.

A refusal that leaves a view (core.middleware.RefusalMiddleware) is the 403 page with its
reason (NotAllowed) or the 400 page with its message (DomainError), JSON under /api/,
never a 500. A page that can show it where the person acted does so with
`core.forms.refusal_shown_on`: the form again with the message, at the same address, or
the page the button sits on with the message on top.
"""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from participants.models import Consent
from programs.models import ProgrammeRole, TermsVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_participant_without_consent(programme):
    from tests.factories import make_participant

    return make_participant(programme, consent=False, email="new@example.com")


@pytest.mark.urls("tests.core.refusal_urls")
def test_a_refusal_that_leaves_a_view_is_the_403_page_with_its_reason(client, participant):
    client.force_login(participant)
    response = client.post("/tests/refuse/not-allowed/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>Not allowed</h1>" in page and "Only the managers of Alpha can do this." in page


@pytest.mark.urls("tests.core.refusal_urls")
def test_a_domain_error_that_leaves_a_view_is_the_400_page_with_its_message(client, participant):
    client.force_login(participant)
    response = client.post("/tests/refuse/domain/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "<h1>Request refused</h1>" in page
    assert "This programme already has a draft; edit that one." in page


@pytest.mark.urls("tests.core.refusal_urls")
def test_under_the_api_a_refusal_is_the_api_s_json_error(client, participant):
    client.force_login(participant)
    refused = client.post("/api/tests/refuse/not-allowed/")
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Only the managers of Alpha can do this.",
        "code": "not_allowed",
        "field_errors": {},
    }
    assert client.post("/api/tests/refuse/domain/").json()["code"] == "invalid"


@pytest.mark.urls("tests.core.refusal_urls")
def test_staff_who_must_set_up_two_factor_are_sent_to_do_so(client, reviewer, settings):
    settings.REQUIRE_STAFF_MFA = False  # the view, not the path's guard, says it here
    client.force_login(reviewer)
    response = client.get("/tests/refuse/mfa/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/")


def test_a_refused_form_comes_back_with_the_message_and_nothing_recorded(
    client, programme, make_participant_without_consent
):
    person = make_participant_without_consent
    client.force_login(person)
    url = reverse("participants:consent", args=[programme.slug])
    response = client.post(url, {"terms_hash": "0" * 64, "accept": "on"})
    assert response.status_code == 200 and response.request["PATH_INFO"] == url
    assert response.context["form"].non_field_errors() == [
        "The terms you were shown are not these terms. Reload the page and read them again."
    ]
    assert not Consent.objects.filter(participation__user=person).exists()


def test_a_refused_button_returns_to_its_page_with_the_message_and_nothing_changed(
    client, manager, programme
):
    role = ProgrammeRole.objects.get(user=manager, programme=programme)
    events = AuditEvent.objects.count()
    client.force_login(manager)
    response = client.post(
        reverse("programs:staff_role_revoke", args=[programme.slug, role.pk]), follow=True
    )
    assert response.redirect_chain == [
        (reverse("programs:staff_roles", args=[programme.slug]), 302)
    ]
    assert "A programme needs at least one manager." in response.content.decode()
    assert ProgrammeRole.objects.filter(pk=role.pk).exists()
    assert AuditEvent.objects.count() == events


def test_a_second_draft_is_refused_on_the_terms_page(client, manager, programme):
    client.force_login(manager)
    url = reverse("programs:staff_terms_new", args=[programme.slug])
    client.post(url)
    drafts = TermsVersion.objects.filter(programme=programme, status="draft").count()
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("programs:staff_terms", args=[programme.slug])
    assert "This programme already has a draft; edit that one." in response.content.decode()
    assert TermsVersion.objects.filter(programme=programme, status="draft").count() == drafts
