"""A participant downloads everything about themselves, and nothing about anyone else."""

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
        reporter=person,
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
        user=person, programme=programme, date=timezone.localdate(), minutes=90, activity="testing"
    )
    approvals.submission_create(
        user=person,
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
    archive = zipfile.ZipFile(io.BytesIO(response.content))
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
    assert "Download my data (ZIP)" in page and "verified chain" in page
