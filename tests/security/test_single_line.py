"""One validator for every line of text shown on one line: no control characters, no
text-direction overrides.

Before: a competition title and the names of an invitation list accepted CR/LF (printed as
lines of their own in the invitation mail), and a ticket title accepted U+202E, the
right-to-left override that makes "invoice‮fdp.exe" read "invoiceexe.pdf". Here every
model CharField a person types, and every single-line text input of the API, carries
`core.text.single_line`, and the reported cases are tried through the real page and API.
"""

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from api.services import token_create
from core.text import SingleLineValidator
from feedback.models import Ticket
from participants.models import Invitation
from publicity.models import Competition
from tests.conftest import summarise

OUR_APPS = {
    "core",
    "audit",
    "programs",
    "participants",
    "integrations",
    "feedback",
    "labour",
    "approvals",
    "compensation",
    "publicity",
    "api",
    "ops",
    "provenance",
}
# Written by the product, never typed by a person: hashes, tokens, keys, codes from a list,
# addresses and paths the product composes, secrets, ISO codes checked on their own.
MACHINE_WRITTEN = {
    "core.OutboxMessage": {"dedupe_key", "subject", "url"},
    "core.FormSubmission": {"token", "result_url"},
    "core.PersonSettings": {"time_zone"},  # a name from zoneinfo.available_timezones()
    "core.EmailChange": {"old_email", "new_email", "undo_token_hash"},
    "core.ComponentStatus": {"name", "problem"},
    "audit.AuditEvent": {
        "action",
        "object_type",
        "object_id",
        "prev_hash",
        "hash",
        "key_id",
        "record_hash",
    },
    "audit.AuditTree": {"root"},
    "audit.AuditCheckpoint": {"root"},
    "audit.AuditCosignature": {"witness"},
    "programs.Programme": {"currency"},
    "programs.TermsVersion": {"currency", "content_hash"},
    "programs.EditorialConfirmation": {"old_body_hash", "new_body_hash"},
    "programs.TermsTranslation": {"content_hash"},
    "participants.Invitation": {"token_hash"},
    "participants.Consent": {"terms_hash", "shown_hash"},
    "participants.AccessPause": {"previous_programme_status"},
    "integrations.WebhookEndpoint": {"secret"},
    "integrations.WebhookDelivery": {"event"},
    "integrations.WebhookAttempt": {"error"},
    "feedback.TicketAttachment": {"content_type", "sha256"},
    "approvals.OutputSubmission": {"file_type", "content_hash", "verify_token"},
    "compensation.LedgerEntry": {"currency", "source_type", "source_id", "idempotency_key"},
    "compensation.PayoutBatch": {"currency", "csv_sha256", "xlsx_sha256", "provider_sha256"},
    "compensation.PayoutLine": {"email", "currency", "details_secret", "details_masked"},
    "compensation.PayoutDetails": {"country", "secret", "masked"},
    "compensation.TaxStatus": {"document_sha256"},
    "compensation.BankFileImport": {"sha256"},
    "compensation.ExchangeRate": {"currency", "programme_currency"},  # ISO 4217, checked
    "publicity.PromotionalUse": {"currency"},
    "publicity.Competition": {"currency"},
    "api.ApiToken": {"prefix", "key_hash"},
    "api.ServiceToken": {"prefix", "key_hash"},
    # Copied by the product from records validated where they were typed, or composed by it.
    "provenance.ConsentEntry": {"sha256", "media_type", "decision", "credit"},
    "provenance.Credential": {"manifest_label", "signed_sha256", "error"},
    "provenance.KnownHash": {"sha256"},
    "ops.Incident": {"key"},
    "api.IdempotencyRecord": {"key", "endpoint", "request_hash"},
}
TRIED = {"inputs": 0}


def _has_single_line(field) -> bool:
    return any(isinstance(v, SingleLineValidator) for v in field.validators)


def test_every_typed_single_line_column_carries_the_one_validator():
    """A CharField added later without the validator fails here (or is named above)."""
    missing, seen = [], 0
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        label = f"{model._meta.app_label}.{model.__name__}"
        for field in model._meta.get_fields():
            if not isinstance(field, models.CharField) or field.choices:
                continue
            if isinstance(field, (models.SlugField, models.EmailField, models.URLField)):
                continue
            if field.name in MACHINE_WRITTEN.get(label, ()):
                continue
            seen += 1
            if not _has_single_line(field):
                missing.append(f"{label}.{field.name}")
    assert not missing, missing
    assert seen >= 25
    print(
        f"\nFIGURE single-line columns: {seen} typed single-line columns, 0 without the validator"
    )


# Input fields of the API that take free text over several lines.
MULTI_LINE_INPUTS = {
    "description",
    "steps_to_reproduce",
    "expected_result",
    "actual_result",
    "prompt",
    "note",
    "body",
    "criteria",
}
NOT_TYPED_INPUTS = {"terms_hash", "url", "reason", "currency", "cursor"}


def _input_serializers():
    from api.views import approvals, compensation, feedback, participants, programs, publicity

    for module in (approvals, compensation, feedback, participants, programs, publicity):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, serializers.Serializer)
                and not issubclass(value, serializers.ModelSerializer)
                and value.__module__ == module.__name__
                and value.__name__.endswith("Input")
            ):
                yield value


def test_every_single_line_text_input_of_the_api_carries_the_one_validator():
    missing, seen = [], 0
    for serializer in _input_serializers():
        for name, field in serializer().fields.items():
            if field.read_only or type(field) is not serializers.CharField:
                continue
            if name in MULTI_LINE_INPUTS or name in NOT_TYPED_INPUTS:
                continue
            seen += 1
            if not _has_single_line(field):
                missing.append(f"{serializer.__name__}.{name}")
    assert not missing, missing
    assert seen >= 6


BAD = ["Launch\r\nBcc: all@example.org", "Launch\nfilm", "invoice\u202efdp.exe", "a\u2066b\u2069"]


def test_a_ticket_title_with_a_direction_override_is_refused_on_the_page_and_the_api(
    programme, participant, as_user
):
    client = as_user(participant)
    api = APIClient()
    _, plain = token_create(actor=participant, name="lines", scope="write")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    for bad in BAD:
        page = client.post(
            "/tickets/new/",
            {"programme": programme.pk, "kind": "feedback", "title": bad, "description": "d"},
        )
        assert page.status_code == 400, bad
        assert "text-direction overrides" in page.content.decode(), bad
        answer = api.post(
            "/api/v1/tickets/",
            {"programme": programme.slug, "kind": "feedback", "title": bad, "description": "d"},
            format="json",
        )
        assert answer.status_code == 400, (bad, answer.content)
        assert "text-direction overrides" in answer.json()["field_errors"]["title"][0]
        TRIED["inputs"] += 2
    assert not Ticket.objects.exists()
    # Right-to-left names themselves are welcome; only the reordering controls are refused.
    ok = client.post(
        "/tickets/new/",
        {"programme": programme.pk, "kind": "feedback", "title": "עברית title", "description": "d"},
    )
    assert ok.status_code == 302


def test_a_competition_title_with_a_line_break_is_refused_on_the_page_and_the_api(
    programme, manager, as_user, settings
):
    settings.REQUIRE_STAFF_MFA = False
    client = as_user(manager)
    api = APIClient()
    _, plain = token_create(actor=manager, name="lines", scope="write")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    when = timezone.now()
    fields = {
        "criteria": "Best use",
        "prize_count": 1,
        "prize_amount": "500.00",
        "currency": "EUR",
        "judges": "The reviewers",
    }
    for bad in BAD:
        for name in ("title", "judges"):
            values = {**fields, "title": "Launch film", name: bad}
            page = client.post(
                f"/publicity/programmes/{programme.slug}/competitions/new/",
                {
                    **values,
                    "entry_deadline": (when + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
                    "results_by": (when + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
                },
            )
            assert page.status_code == 400, (name, bad)
            assert "text-direction overrides" in page.content.decode()
            answer = api.post(
                f"/api/v1/programmes/{programme.slug}/competitions/",
                {
                    **values,
                    "entry_deadline": (when + timedelta(days=7)).isoformat(),
                    "results_by": (when + timedelta(days=14)).isoformat(),
                },
                format="json",
            )
            assert answer.status_code == 400, (name, bad, answer.content)
            assert name in answer.json()["field_errors"]
            TRIED["inputs"] += 2
    assert not Competition.objects.exists()


def test_invitation_list_names_with_line_breaks_are_refused_line_by_line(
    client, programme, manager, settings
):
    settings.REQUIRE_STAFF_MFA = False
    client.force_login(manager)
    text = (
        'email,name\nada@example.com,"Ada\r\nBcc: all@example.org"\n'
        "bo@example.com,Bo \u202eredro\n"
        "cleo@example.com,Cleo\n"
    )
    response = client.post(
        f"/staff/programmes/{programme.slug}/invitations/upload/",
        {
            "csv-file": SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv"),
            "csv-days_valid": 14,
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Line 3: the name cannot contain line breaks" in html
    assert "Line 4: the name cannot contain line breaks" in html
    assert not Invitation.objects.exists()  # all or nothing
    TRIED["inputs"] += 2


def test_single_line_figure():
    summarise(inputs=TRIED["inputs"])
    print(
        f"\nFIGURE single-line text: {TRIED['inputs']} lines with CR/LF or direction overrides "
        "tried on tickets, competitions and invitation lists, 0 stored"
    )


@pytest.fixture(autouse=True)
def _db(db):
    return db
