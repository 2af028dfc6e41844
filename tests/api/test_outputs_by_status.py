"""The API lists a tester's outputs by status with their proof URLs (issue 33: `?status=approved`
was a 400, and no proof URL was given)."""

from rest_framework.test import APIClient

from approvals import services as approvals


def _output(participant, programme, reviewer, title, approve=True):
    submission = approvals.submission_create(
        actor=participant,
        programme=programme,
        title=title,
        intended_use="social",
        url=f"https://example.org/{title}.mp4",
    )
    if approve:
        approvals.submission_claim(actor=reviewer, submission=submission)
        approvals.submission_decide(submission=submission, actor=reviewer, outcome="approved")
    submission.refresh_from_db()
    return submission


def test_a_tester_lists_their_approved_outputs_with_proof_urls(programme, participant, reviewer):
    approved = _output(participant, programme, reviewer, "swim")
    pending = _output(participant, programme, reviewer, "draft", approve=False)
    api = APIClient()
    api.force_authenticate(participant)
    response = api.get("/api/v1/submissions/?status=approved")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [approved.pk]
    assert rows[0]["proof_url"] == f"http://testserver/verify/{approved.verify_token}/"
    assert api.get(rows[0]["proof_url"]).status_code == 200
    open_rows = api.get("/api/v1/submissions/").json()["results"]
    assert [r["id"] for r in open_rows] == [pending.pk] and open_rows[0]["proof_url"] is None
    assert api.get("/api/v1/submissions/?status=nonsense").status_code == 400
