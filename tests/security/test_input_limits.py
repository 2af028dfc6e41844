"""Every free-text field has a length limit, the same in the model, the form and the API schema.

A 100,000-character motivation broke the applications page and a 2 MB ticket description
made the ticket list 1.9 MB. Now one character over the limit is a 400 that names the
limit, through the page and through the API, and nothing is stored; the limit is in the
OpenAPI schema (`maxLength`) and `full_clean` refuses it too.

Figure: over-long inputs tried, stored (must be 0).
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_create
from approvals.models import OutputSubmission
from feedback import services as feedback
from feedback.models import Ticket, TicketComment
from labour.models import TimeEntry
from participants.models import Application
from tests.conftest import summarise
from tests.factories import UserFactory


def _over(model, field) -> str:
    return "x" * (model._meta.get_field(field).max_length + 1)


def test_every_free_text_column_has_a_limit():
    from django.apps import apps
    from django.db import models

    # Written by the product itself, never typed by a person.
    system = {
        ("audit", "data_json"),
        ("audit", "record_fields"),  # digests of a record's fields
        ("audit", "note"),  # a signed checkpoint
        ("audit", "line"),  # a witness's signature line, kept only when it verifies
        ("integrations", "body"),
        ("compensation", "error"),
        ("core", "body"),
        ("core", "last_error"),
    }
    unbounded = [
        f"{m._meta.label}.{f.name}"
        for m in apps.get_models()
        if m._meta.app_label
        in {"programs", "participants", "feedback", "labour", "approvals", "compensation"}
        | {"audit", "integrations", "core", "api"}
        for f in m._meta.get_fields()
        if isinstance(f, models.TextField)
        and not f.max_length
        and (m._meta.app_label, f.name) not in system
    ]
    assert unbounded == []


def test_over_long_text_through_the_pages_is_a_400_and_stores_nothing(
    as_user, programme, participant, user_factory
):
    tried = 0
    client = as_user(participant)
    ticket = feedback.ticket_file(
        actor=participant, programme=programme, kind="feedback", title="t", description="d"
    )
    cases = [
        (
            reverse("feedback:new"),
            {
                "programme": programme.pk,
                "kind": "feedback",
                "title": "Long",
                "description": _over(Ticket, "description"),
            },
            lambda: Ticket.objects.filter(title="Long"),
            "at most 20000 characters",
        ),
        (
            reverse("feedback:comment", args=[ticket.pk]),
            {"body": _over(TicketComment, "body")},
            lambda: TicketComment.objects.all(),
            "at most 10000 characters",
        ),
        (
            reverse("labour:mine"),
            {
                "programme": programme.pk,
                "date": timezone.localdate().isoformat(),
                "minutes": 10,
                "activity": "testing",
                "note": _over(TimeEntry, "note"),
            },
            lambda: TimeEntry.objects.all(),
            "at most 2000 characters",
        ),
        (
            reverse("approvals:submit"),
            {
                "programme": programme.pk,
                "title": "Long prompt",
                "url": "https://example.org/p",
                "intended_use": "social",
                "prompt": _over(OutputSubmission, "prompt"),
            },
            lambda: OutputSubmission.objects.all(),
            "at most 10000 characters",
        ),
    ]
    for url, body, rows, message in cases:
        response = client.post(url, body)
        tried += 1
        assert response.status_code == 400, url
        assert message in response.content.decode(), url
        assert not rows().exists(), url
    # The 100,000-character motivation.
    applicant = user_factory()
    client.force_login(applicant)
    response = client.post(
        reverse("participants:apply", args=[programme.slug]),
        {"motivation": "m" * 100_000},
    )
    tried += 1
    assert response.status_code in (400, 200) and not Application.objects.exists()
    assert "at most 5000 characters" in response.content.decode()
    summarise(inputs=tried)


def test_over_long_text_through_the_api_is_a_400_naming_the_field(programme, participant):
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Bearer {token_create(actor=participant, name='t', scope='write')[1]}"
    )
    two_megabytes = "x" * 2_000_000
    answer = api.post(
        "/api/v1/tickets/",
        {
            "programme": programme.slug,
            "kind": "feedback",
            "title": "Big",
            "description": two_megabytes,
        },
        format="json",
    )
    assert answer.status_code == 400
    assert "20000 characters" in answer.json()["field_errors"]["description"][0]
    note = api.post(
        "/api/v1/time-entries/",
        {
            "programme": programme.slug,
            "date": timezone.localdate().isoformat(),
            "minutes": 5,
            "activity": "testing",
            "note": _over(TimeEntry, "note"),
        },
        format="json",
    )
    assert note.status_code == 400 and "note" in note.json()["field_errors"]
    assert not Ticket.objects.exists() and not TimeEntry.objects.exists()
    summarise(inputs=2)


def test_the_api_schema_states_the_same_limits(client, db):
    schema = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    ticket = schema["TicketInputRequest"]["properties"]
    assert ticket["description"]["maxLength"] == 20_000
    assert ticket["steps_to_reproduce"]["maxLength"] == 10_000
    assert schema["CommentInputRequest"]["properties"]["body"]["maxLength"] == 10_000
    assert schema["TimeEntryInputRequest"]["properties"]["note"]["maxLength"] == 2000
    assert schema["SubmissionInputRequest"]["properties"]["prompt"]["maxLength"] == 10_000


@pytest.mark.django_db
def test_the_model_refuses_it_too(programme):
    application = Application(
        programme=programme, user=UserFactory(), motivation=_over(Application, "motivation")
    )
    with pytest.raises(ValidationError) as refused:
        application.full_clean()
    assert "motivation" in refused.value.message_dict
