"""Dates far in the past or future are a clear 4xx (or simply ignored), never a 500.

Every GET route (the authorization matrix's), as every persona, is asked for
`?week=0001-01-01` and `9999-12-31` with every date filter of the product set to the same;
the API's lists likewise; and every form and API body that takes a date is sent them.

Figure: far-date requests tried, server errors (must be 0), records stored (must be 0).
"""

from django.urls import reverse
from rest_framework.test import APIClient

from api.services import token_create
from approvals.models import OutputSubmission
from compensation.models import PayoutBatch
from labour.models import TimeEntry
from tests.conftest import summarise

from .test_authorization_matrix import PERSONAS, RULES, _kwargs, _named_routes

FAR = ("0001-01-01", "9999-12-31")
DATE_PARAMS = (
    "week",
    "date_from",
    "date_to",
    "submitted_from",
    "submitted_to",
    "created_min",
    "created_max",
    "from",
    "to",
)


def test_far_dates_on_every_page_and_list_are_never_a_server_error(client, world, settings):
    settings.REQUIRE_STAFF_MFA = False
    tried, errors = 0, []
    routes = [(n, p) for n, p in _named_routes() if RULES.get(n, ("",))[0] == "GET"]
    for persona in PERSONAS:
        client.logout()
        if persona != "anonymous":
            client.force_login(world["people"][persona])
        for name, pattern in routes:
            url = reverse(name, kwargs=_kwargs(name, pattern, world))
            for far in FAR:
                query = "&".join(f"{p}={far}" for p in DATE_PARAMS)
                response = client.get(f"{url}?{query}")
                tried += 1
                if response.status_code >= 500:
                    errors.append(f"{persona} {url}?…={far} → {response.status_code}")
    summarise(inputs=tried)
    print(f"FIGURE far dates on pages and API lists: {tried} tried, {len(errors)} server errors")
    assert errors == []


def test_a_far_week_is_a_clear_400_on_the_labour_log(as_user, participant):
    client = as_user(participant)
    for far in ("0001-01-01", "9999-12-31"):
        response = client.get(reverse("labour:mine") + f"?week={far}")
        assert response.status_code == 400
        assert "between 2000-01-01 and 2099-12-31" in response.content.decode()


def test_far_dates_in_forms_and_api_bodies_are_refused_and_store_nothing(
    as_user, programme, participant, finance, settings
):
    settings.REQUIRE_STAFF_MFA = False
    tried = 0
    client = as_user(participant)
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Bearer {token_create(actor=participant, name='t', scope='write')[1]}"
    )
    for far in ("0001-01-01", "9999-12-31"):
        page = client.post(
            reverse("labour:mine"),
            {"programme": programme.pk, "date": far, "minutes": 30, "activity": "testing"},
        )
        assert page.status_code == 400 and "2000-01-01" in page.content.decode()
        body = {"programme": programme.slug, "date": far, "minutes": 30, "activity": "testing"}
        answer = api.post("/api/v1/time-entries/", body, format="json")
        # The schema cannot bound a date: the API refuses it as a rule (422, issue 29).
        assert answer.status_code == 422, answer.content
        assert "date" in answer.json()["field_errors"]
        output = {
            "programme": programme.pk,
            "title": "Far",
            "url": "https://example.org/far",
            "intended_use": "social",
            "intended_date": far,
        }
        assert client.post(reverse("approvals:submit"), output).status_code == 400
        output["programme"] = programme.slug
        assert api.post("/api/v1/submissions/", output, format="json").status_code == 422
        tried += 4
    client.force_login(finance)
    for start, end in (("0001-01-01", "2026-01-01"), ("2026-01-01", "9999-12-31")):
        batch = client.post(
            reverse("compensation:batch_new"),
            {
                "programmes": [programme.pk],
                "period_start": start,
                "period_end": end,
                "currency": "EUR",
            },
        )
        assert batch.status_code == 400
        tried += 1
    assert not TimeEntry.objects.exists()
    assert not OutputSubmission.objects.exists()
    assert not PayoutBatch.objects.exists()
    summarise(inputs=tried)
