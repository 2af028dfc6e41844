"""Staff see what was decided, not only what waits: the list of decided outputs (by decision
and date, the promotional-use request beside each approved one the person may ask for), and
a manager's audit page for their programme (by actor, action and date, in sentences, as CSV)."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import services as approvals
from approvals.models import OutputSubmission
from participants import services as participants
from participants.models import Participation

pytestmark = pytest.mark.django_db


def _decided(participant, programme, reviewer, title, outcome, days_ago=0, reason=None):
    s = approvals.submission_create(
        actor=participant,
        programme=programme,
        title=title,
        intended_use="social",
        url=f"https://example.org/{title}.mp4",
    )
    approvals.submission_decide(
        submission=s, actor=reviewer, outcome=outcome, reason=reason, note="Seen."
    )
    when = timezone.now() - timedelta(days=days_ago)
    OutputSubmission.objects.filter(pk=s.pk).update(decided_at=when)
    return s


@pytest.fixture
def decided_items(programme, participant, reviewer, manager):
    reason = approvals.reason_codes_add_defaults(actor=manager, programme=programme)[0]
    return {
        "Kept": _decided(participant, programme, reviewer, "Kept", "approved", days_ago=1),
        "Dropped": _decided(
            participant, programme, reviewer, "Dropped", "changes_requested", reason=reason
        ),
        "Old": _decided(participant, programme, reviewer, "Old", "approved", days_ago=40),
    }


def test_the_list_of_decided_outputs_filters_by_decision_and_date(
    client, programme, manager, decided_items
):
    client.force_login(manager)
    url = reverse("staff:decided")
    html = client.get(url).content.decode()
    assert all(title in html for title in ("Kept", "Dropped", "Old"))
    approved = client.get(url + "?status=approved").content.decode()
    assert "Kept" in approved and "Old" in approved and "Dropped" not in approved
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    recent = client.get(f"{url}?status=approved&decided_from={since}").content.decode()
    assert "Kept" in recent and "Old" not in recent
    # Open items are in the queue, not here.
    approvals.submission_create(
        actor=decided_items["Kept"].participant,
        programme=programme,
        title="Waiting",
        intended_use="social",
        url="https://example.org/waiting.mp4",
    )
    assert "Waiting" not in client.get(url).content.decode()


def test_a_manager_finds_the_promotional_use_request_beside_each_approved_output(
    client, programme, manager, reviewer, decided_items
):
    client.force_login(manager)
    html = client.get(reverse("staff:decided")).content.decode()
    links = re.findall(r'href="(/publicity/outputs/\d+/promote/)"', html)
    kept, old = decided_items["Kept"].pk, decided_items["Old"].pk
    assert sorted(links) == sorted(
        reverse("publicity:use_request", args=[pk]) for pk in (kept, old)
    )
    assert client.get(links[0]).status_code == 200
    # A reviewer sees the same list but may not ask: no link that would be refused.
    client.force_login(reviewer)
    html = client.get(reverse("staff:decided")).content.decode()
    assert "Kept" in html and "/promote/" not in html


def test_participants_and_other_programmes_reviewers_are_kept_out(
    client, participant, other_reviewer, decided_items
):
    client.force_login(participant)
    assert client.get(reverse("staff:decided")).status_code == 403
    client.force_login(other_reviewer)
    html = client.get(reverse("staff:decided")).content.decode()
    assert "Kept" not in html and "No decided output" in html


def _pause(manager, programme, participant):
    participants.pause_start(
        actor=manager,
        programme=programme,
        participation=Participation.objects.get(user=participant, programme=programme),
        reason="Holiday",
    )


def test_a_manager_reads_the_programme_audit_log_in_sentences_filtered_and_as_csv(
    client, programme, other_programme, manager, reviewer, participant, decided_items
):
    _pause(manager, programme, participant)
    client.force_login(manager)
    url = reverse("staff:programme_audit", args=[programme.slug])

    def events(query=""):
        html = client.get(url + query).content.decode()
        return re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)

    everything = events()
    assert "approvals.submission.decided" in everything
    assert (
        f"reviewer@example.com decided on output #{decided_items['Kept'].pk} (approved) in Alpha."
        in everything
    )
    by_me = events(f"?actor={manager.pk}")
    assert "Holiday" in by_me and "reviewer@example.com" not in by_me
    action = "approvals.submission.decided"
    decided_only = events(f"?action={action}")
    assert "Holiday" not in decided_only and action in decided_only
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "No event matches" in events(f"?date_from={tomorrow}")
    html = client.get(f"{url}?action={action}").content.decode().replace("&amp;", "&")
    csv_url = reverse("staff:programme_audit_csv", args=[programme.slug])
    assert f'href="{csv_url}?action={action}"' in html
    response = client.get(
        reverse("staff:programme_audit_csv", args=[programme.slug]) + f"?action={action}"
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["seq", "when_utc", "actor", "action", "sentence", "hash"]
    assert len(rows) == 1 + 3 and {r[3] for r in rows[1:]} == {action}
    assert all(r[4].startswith("reviewer@example.com decided on output #") for r in rows[1:])


def test_the_audit_page_is_for_the_programme_s_managers_only(
    client, programme, other_programme, manager, reviewer, participant
):
    url = reverse("staff:programme_audit", args=[programme.slug])
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.force_login(participant)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    other = reverse("staff:programme_audit", args=[other_programme.slug])
    assert client.get(other).status_code == 404
    # Each person's own page stays.
    assert client.get(reverse("audit:mine")).status_code == 200
