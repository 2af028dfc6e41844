"""Contests through the JSON API: the same rules as the pages."""

import pytest
from rest_framework.test import APIClient

from api.services import token_create
from feedback.models import Ticket
from recourse.models import Contest

pytestmark = pytest.mark.django_db


def client_of(person) -> APIClient:
    client = APIClient()
    _, plain = token_create(actor=person, name="test", scope="write")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def test_a_tester_contests_through_the_api_and_another_reviewer_upholds_it(
    closed_ticket, teamer, reviewer, second_reviewer
):
    body = {"ticket": closed_ticket.pk, "reason": "reproducible", "text": "See the steps."}
    made = client_of(teamer).post("/api/v1/contests/", body, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "open" and made.json()["due_at"]
    pk = made.json()["id"]

    again = client_of(teamer).post("/api/v1/contests/", body, format="json")
    assert again.status_code == 409 and "already contested" in again.json()["detail"]

    answer = {"outcome": "upheld", "answer": "Accepted."}
    by_maker = client_of(reviewer).post(f"/api/v1/contests/{pk}/answer/", answer, format="json")
    assert by_maker.status_code == 403
    by_tester = client_of(teamer).post(f"/api/v1/contests/{pk}/answer/", answer, format="json")
    assert by_tester.status_code == 403

    done = client_of(second_reviewer).post(f"/api/v1/contests/{pk}/answer/", answer, format="json")

    assert done.status_code == 200 and done.json()["status"] == "upheld"
    closed_ticket.refresh_from_db()
    assert closed_ticket.status == Ticket.Status.ACCEPTED
    listed = client_of(teamer).get("/api/v1/contests/").json()["results"]
    assert [c["id"] for c in listed] == [pk]


def test_bad_contest_input_through_the_api_changes_nothing(closed_ticket, teamer, outsider):
    api = client_of(teamer)
    # Naming no decision, or two, matches the schema but breaks its rule: 422, saying which.
    none = api.post("/api/v1/contests/", {"reason": "x", "text": "y"}, format="json")
    assert none.status_code == 422 and "Give one of ticket" in none.json()["detail"]
    both = {"ticket": closed_ticket.pk, "time_entry": 1, "reason": "other", "text": "y"}
    assert api.post("/api/v1/contests/", both, format="json").status_code == 422
    bad_reason = {"ticket": closed_ticket.pk, "reason": "invented", "text": "y"}
    assert api.post("/api/v1/contests/", bad_reason, format="json").status_code == 422
    theirs = {"ticket": closed_ticket.pk, "reason": "other", "text": "mine now"}
    assert client_of(outsider).post("/api/v1/contests/", theirs, format="json").status_code == 404
    assert not Contest.objects.exists()
