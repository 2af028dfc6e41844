"""A participant downloads everything about themselves, and nothing about anyone else."""

import csv
import io
import json
import zipfile
from decimal import Decimal

from django.utils import timezone


def _activity(programme, person, manager, reviewer, label):
    from approvals import services as approvals
    from compensation import services as pay
    from feedback import services as feedback
    from labour import services as labour
    from participants.models import Participation

    ticket = feedback.ticket_file(
        actor=person,
        programme=programme,
        kind="bug",
        title=f"{label} ticket",
        description="x",
        severity="low",
    )
    feedback.ticket_comment(
        author=reviewer, ticket=ticket, body=f"{label} internal note", visible_to_reporter=False
    )
    feedback.ticket_comment(
        author=reviewer, ticket=ticket, body=f"{label} reply", visible_to_reporter=True
    )
    labour.time_entry_log(
        actor=person, programme=programme, date=timezone.localdate(), minutes=90, activity="testing"
    )
    approvals.submission_create(
        actor=person,
        programme=programme,
        title=f"{label} film",
        intended_use="portfolio",
        url=f"https://example.org/{label}",
    )
    pay.award_create(
        actor=manager,
        participation=Participation.objects.get(user=person, programme=programme),
        kind="prize",
        amount=Decimal("10.00"),
        currency="EUR",
        reason=f"{label} prize",
    )


def test_the_archive_has_all_of_mine_and_nothing_of_others(
    programme, participant, participant2, manager, reviewer, as_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    _activity(programme, participant, manager, reviewer, "MINE")
    _activity(programme, participant2, manager, reviewer, "THEIRS")
    response = as_user(participant).get("/portal/my-data/?download=1")
    assert response["Content-Type"] == "application/zip"
    assert response.streaming and response["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    names = set(archive.namelist())
    assert {
        "data.json",
        "consents.csv",
        "tickets.csv",
        "submissions.csv",
        "hours.csv",
        "ledger.csv",
        "audit_events_about_me.csv",
    } <= names
    everything = "".join(archive.read(n).decode() for n in names)
    data = json.loads(archive.read("data.json"))
    assert [t["title"] for t in data["tickets"]] == ["MINE ticket"]
    assert [c["body"] for c in data["comments_for_me"]] == ["MINE reply"]
    assert [s["title"] for s in data["submissions"]] == ["MINE film"]
    assert [e["minutes"] for e in data["hours"]] == [90]
    assert [e["amount"] for e in data["ledger"]] == ["10.00"]
    assert (
        data["consents"][0]["terms"]["body"] == "These are the terms."
        and data["consents"][0]["key_facts"]
    )
    assert (
        all(len(e["hash"]) == 64 for e in data["audit_events_about_me"])
        and data["audit_events_about_me"]
    )
    for foreign in ("THEIRS", "participant2@example.com", "internal note"):
        assert foreign not in everything


def test_the_my_data_page_explains_the_archive(participant, as_user):
    page = as_user(participant).get("/portal/my-data/").content.decode()
    assert "Download my data (ZIP)" in page and "inclusion proof" in page


def test_a_long_history_streams_in_pieces_and_holds_exactly_what_my_data_holds(
    programme,
    participant,
    participant2,
    manager,
    reviewer,
    as_user,
    settings,
    tmp_path,
    monkeypatch,
):
    """The archive is written as it is sent (pieces of 2 kB once compressed, records read 3
    at a time); data.json is the same as the one-dict reading; a CSV line per record."""
    from django.core.serializers.json import DjangoJSONEncoder

    from portal import selectors

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(selectors, "PIECE", 2048)
    monkeypatch.setattr(selectors, "CHUNK", 3)
    for i in range(7):
        _activity(programme, participant, manager, reviewer, f"MINE{i}")
    _activity(programme, participant2, manager, reviewer, "THEIRS")
    response = as_user(participant).get("/portal/my-data/?download=1")
    pieces = list(response.streaming_content)
    assert response.streaming and len(pieces) >= 3  # data.json, the CSVs, the directory
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert archive.testzip() is None
    data = json.loads(archive.read("data.json"))
    expected = json.loads(json.dumps(selectors.my_data(participant), cls=DjangoJSONEncoder))
    for volatile in ("generated_at", "audit_checkpoint"):
        data.pop(volatile), expected.pop(volatile)
    assert data == expected
    assert [s["title"] for s in data["submissions"]] == [f"MINE{i} film" for i in range(7)]
    for name, rows in data.items():
        if isinstance(rows, list) and rows:
            # Parsed as CSV: a notification's body spans lines inside its quoted cell.
            lines = list(csv.reader(io.StringIO(archive.read(f"{name}.csv").decode())))
            assert len(lines) == len(rows) + 1, name
    assert b"THEIRS" not in b"".join(archive.read(n) for n in archive.namelist())
