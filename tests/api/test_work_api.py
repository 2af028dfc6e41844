"""The API's tickets, hours, submissions, ledger, batches and figures follow the pages' rules."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from approvals import services as approval_services
from approvals.models import OutputSubmission
from feedback import services as feedback_services
from feedback.models import Ticket
from labour.models import TimeEntry

# A real 1×1 PNG: images are decoded and re-encoded on upload (core.uploads).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)

TICKET = {
    "programme": "alpha",
    "kind": "bug",
    "title": "Player stalls",
    "description": "At frame 48 the player stalls.",
    "severity": "high",
    "steps_to_reproduce": "Play the clip.",
    "expected_result": "It plays.",
    "actual_result": "It stalls.",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _ticket(participant, programme, title="Matrix bug"):
    return feedback_services.ticket_file(
        actor=participant,
        programme=programme,
        kind="bug",
        title=title,
        description="Breaks",
        severity="low",
    )


def _url_submission(participant, programme):
    return approval_services.submission_create(
        actor=participant,
        programme=programme,
        title="Trailer",
        intended_use="social",
        url="https://example.org/trailer.mp4",
    )


def test_a_participant_files_a_ticket_and_the_status_and_reporter_sent_are_ignored(
    programme, participant, manager, api
):
    body = {**TICKET, "status": "accepted", "reporter": "manager@example.com", "assignee": 1}
    response = api(participant).post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "new"
    assert data["reporter"] == "participant@example.com"
    assert data["assignee"] is None
    ticket = Ticket.objects.get(pk=data["id"])
    assert (ticket.reporter, ticket.status, ticket.severity) == (participant, "new", "high")
    listed = api(participant).get("/api/v1/tickets/").json()["results"]
    assert [t["id"] for t in listed] == [ticket.pk]


def test_a_participant_logs_time_through_the_api(programme, participant, api):
    today = timezone.localdate().isoformat()
    response = api(participant).post(
        "/api/v1/time-entries/",
        {"programme": "alpha", "date": today, "minutes": 90, "activity": "testing", "note": "QA"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["minutes"] == 90 and response.json()["status"] == "logged"
    assert TimeEntry.objects.get(user=participant).minutes == 90
    assert api(participant).get("/api/v1/time-entries/").json()["results"][0]["minutes"] == 90


def test_time_in_the_future_is_a_422_with_a_field_error(programme, participant, api):
    """The schema allows any date; the rules refuse one to come (422 since issue 29)."""
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = api(participant).post(
        "/api/v1/time-entries/",
        {"programme": "alpha", "date": tomorrow, "minutes": 30, "activity": "testing"},
        format="json",
    )
    assert response.status_code == 422
    assert "date" in response.json()["field_errors"]


def test_an_idempotency_key_repeat_returns_the_first_ticket_and_another_body_is_422(
    programme, participant, api
):
    client = api(participant)
    first = client.post("/api/v1/tickets/", TICKET, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    again = client.post("/api/v1/tickets/", TICKET, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1
    other = client.post(
        "/api/v1/tickets/",
        {**TICKET, "title": "Something else"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="t-1",
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


def test_an_idempotency_key_repeat_returns_the_first_time_entry_and_another_body_is_422(
    programme, participant, api
):
    client = api(participant)
    body = {
        "programme": "alpha",
        "date": timezone.localdate().isoformat(),
        "minutes": 45,
        "activity": "testing",
    }
    first = client.post("/api/v1/time-entries/", body, format="json", HTTP_IDEMPOTENCY_KEY="h-1")
    again = client.post("/api/v1/time-entries/", body, format="json", HTTP_IDEMPOTENCY_KEY="h-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert TimeEntry.objects.count() == 1
    other = client.post(
        "/api/v1/time-entries/",
        {**body, "minutes": 46},
        format="json",
        HTTP_IDEMPOTENCY_KEY="h-1",
    )
    assert other.status_code == 422


def test_other_participants_and_outsiders_get_404_for_a_ticket_and_a_submission(
    programme, participant, participant2, outsider, api
):
    ticket = _ticket(participant, programme)
    submission = _url_submission(participant, programme)
    for person in (participant2, outsider):
        client = api(person)
        assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
        assert client.get(f"/api/v1/tickets/{ticket.pk}/comments/").status_code == 404
        assert client.get(f"/api/v1/submissions/{submission.pk}/").status_code == 404
        assert client.get("/api/v1/tickets/").json()["results"] == []
        assert client.get("/api/v1/submissions/").json()["results"] == []
    assert api(participant).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    assert api(participant).get(f"/api/v1/submissions/{submission.pk}/").status_code == 200


def test_the_reporter_does_not_see_internal_comments_and_cannot_write_one(
    programme, participant, reviewer, api
):
    ticket = _ticket(participant, programme)
    url = f"/api/v1/tickets/{ticket.pk}/comments/"
    staff = api(reviewer)
    assert staff.post(url, {"body": "Looks like #12", "internal": True}).status_code == 201
    assert staff.post(url, {"body": "Thanks, we can reproduce it."}).status_code == 201
    seen = api(participant).get(url).json()["results"]
    assert [c["body"] for c in seen] == ["Thanks, we can reproduce it."]
    assert len(staff.get(url).json()["results"]) == 2
    refused = api(participant).post(url, {"body": "Secret", "internal": True}, format="json")
    assert refused.status_code == 422 and "internal" in refused.json()["field_errors"]
    assert api(participant).post(url, {"body": "It is frame 48."}).status_code == 201


def test_a_participant_uploads_an_output_as_multipart(programme, participant, api):
    upload = SimpleUploadedFile("still.png", PNG, content_type="image/png")
    response = api(participant).post(
        "/api/v1/submissions/",
        {"programme": "alpha", "title": "Still", "intended_use": "social", "file": upload},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["has_file"] is True and response.json()["status"] == "pending"
    both = api(participant).post(
        "/api/v1/submissions/",
        {"programme": "alpha", "title": "Neither", "intended_use": "social"},
        format="json",
    )
    assert both.status_code == 422 and "file" in both.json()["field_errors"]


def test_a_reviewer_claims_and_decides_a_submission_through_the_api(
    programme, participant, reviewer, manager, api
):
    reasons = approval_services.reason_codes_add_defaults(actor=manager, programme=programme)
    created = api(participant).post(
        "/api/v1/submissions/",
        {
            "programme": "alpha",
            "title": "Trailer",
            "intended_use": "social",
            "url": "https://example.org/t.mp4",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert api(participant).post(f"/api/v1/submissions/{pk}/claim/").status_code == 404
    client = api(reviewer)
    claimed = client.post(f"/api/v1/submissions/{pk}/claim/")
    assert claimed.status_code == 200
    assert claimed.json()["claimed_by"] == "reviewer@example.com"
    no_reason = client.post(
        f"/api/v1/submissions/{pk}/decide/", {"outcome": "rejected"}, format="json"
    )
    assert no_reason.status_code == 422
    assert no_reason["Content-Type"].startswith("application/json")
    assert "reason" in no_reason.json()["field_errors"]
    decided = client.post(
        f"/api/v1/submissions/{pk}/decide/",
        {"outcome": "rejected", "reason": reasons[0].code, "note": "Not yet."},
        format="json",
    )
    assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == "rejected"
    assert decided.json()["decisions"][-1]["reason"] == reasons[0].code
    assert OutputSubmission.objects.get(pk=pk).status == "rejected"


def _approved_prize(programme, participant, manager, finance):
    from compensation import services as pay
    from participants.models import Participation

    entry = pay.award_create(
        actor=manager,
        participation=Participation.objects.get(user=participant, programme=programme),
        kind="prize",
        amount=Decimal("5.00"),
        currency="EUR",
        reason="Best bug",
    )
    pay.entries_approve(actor=finance, entry_ids=[entry.pk])
    return entry


def test_finance_creates_a_batch_and_downloads_its_csv(
    programme, participant, manager, finance, api
):
    _approved_prize(programme, participant, manager, finance)
    today = timezone.localdate()
    body = {
        "programmes": ["alpha"],
        "currency": "EUR",
        "period_start": (today - timedelta(days=30)).isoformat(),
        "period_end": today.isoformat(),
    }
    assert api(manager).post("/api/v1/batches/", body, format="json").status_code == 403
    client = api(finance)
    created = client.post("/api/v1/batches/", body, format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    assert created.status_code == 201, created.json()
    batch = created.json()
    assert batch["entries_count"] == 1 and batch["total"] == "5.00"
    again = client.post("/api/v1/batches/", body, format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    assert again.json()["id"] == batch["id"]
    assert client.get(f"/api/v1/batches/{batch['id']}/").json()["status"] == "ready"
    download = client.get(f"/api/v1/batches/{batch['id']}/download.csv")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    import hashlib

    assert hashlib.sha256(content).hexdigest() == batch["csv_sha256"]
    assert download["X-Checksum-SHA256"] == batch["csv_sha256"]
    assert api(participant).get(f"/api/v1/batches/{batch['id']}/download.csv").status_code == 404


def test_a_participant_lists_only_their_own_ledger_entries(
    programme, participant, participant2, manager, finance, api
):
    mine = _approved_prize(programme, participant, manager, finance)
    theirs = _approved_prize(programme, participant2, manager, finance)
    seen = api(participant).get("/api/v1/ledger-entries/").json()["results"]
    assert [e["id"] for e in seen] == [mine.pk]
    filtered = api(participant).get("/api/v1/ledger-entries/?participant=participant2").json()
    assert filtered["results"] == []
    staff = api(finance).get("/api/v1/ledger-entries/?participant=participant2").json()
    assert [e["id"] for e in staff["results"]] == [theirs.pk]


def test_the_figures_endpoint_returns_the_snapshot(programme, api):
    from transparency import figures as transparency

    response = api().get("/api/v1/programmes/alpha/figures/")
    assert response.status_code == 200
    assert response.json() == transparency.latest(programme).figures
    assert api().get("/api/v1/programmes/nope/figures/").status_code == 404
