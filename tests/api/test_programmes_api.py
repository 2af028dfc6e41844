"""The API's programmes, terms, consent and access check follow the pages' rules."""

from participants.models import Consent
from programs.models import Programme


def test_programmes_list_hides_drafts_from_outsiders(programme, other_programme, api, participant):
    Programme.objects.filter(pk=other_programme.pk).update(status=Programme.Status.DRAFT)
    slugs = [p["slug"] for p in api().get("/api/v1/programmes/").json()["results"]]
    assert slugs == ["alpha"]


def test_programme_detail_carries_key_facts_and_current_terms(programme, api):
    body = api().get("/api/v1/programmes/alpha/").json()
    assert body["current_terms"]["number"] == 1
    assert "Paid €25.00 per hour worked." in body["current_terms"]["key_facts"]
    assert body["current_terms"]["content_hash"] == programme.terms.get().content_hash


def test_consent_through_the_api(programme, api, user_factory):
    from tests.factories import make_participant

    person = make_participant(programme, consent=False, email="api-consent@example.com")
    client = api(person)
    assert client.get("/api/v1/programmes/alpha/access/").json()["code"] == "consent_required"
    terms = programme.terms.get()
    response = client.post(
        "/api/v1/programmes/alpha/consent/",
        {"terms_version": 1, "terms_hash": terms.content_hash},
        format="json",
    )
    assert response.status_code == 201 and response.json()["terms_hash"] == terms.content_hash
    assert Consent.objects.filter(participation__user=person).count() == 1
    assert client.get("/api/v1/programmes/alpha/access/").json() == {
        "active": True,
        "code": "active",
        "message": "Access is active.",
        "participation_status": "active",
        "terms_version": 1,
    }


def test_staff_check_another_persons_access_but_participants_cannot(
    programme, api, reviewer, participant, participant2
):
    staff_view = (
        api(reviewer).get("/api/v1/programmes/alpha/access/?user=participant@example.com").json()
    )
    assert staff_view["active"] is True
    assert (
        api(participant2)
        .get("/api/v1/programmes/alpha/access/?user=participant@example.com")
        .status_code
        == 403
    )


def test_terms_diff_through_the_api(programme, manager, api):
    from programs import services

    draft = services.terms_draft_create(actor=manager, programme=programme)
    services.terms_draft_update(actor=manager, terms=draft, hourly_rate="40.00")
    services.terms_publish(actor=manager, terms=draft)
    body = api().get("/api/v1/programmes/alpha/terms/diff/?from=1&to=2").json()
    assert [f["field"] for f in body["fields"]] == ["hourly_rate"]
    assert api().get("/api/v1/programmes/alpha/terms/diff/?from=1").status_code == 400
