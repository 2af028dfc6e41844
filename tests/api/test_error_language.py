"""An API error's `detail` is a sentence for a person, in the request's language where the
service's message is marked; its `code` is for programs and stays the same English word."""

from approvals import services


def test_a_refusal_says_its_detail_in_french_and_keeps_its_english_code(
    programme, participant, reviewer, manager, api
):
    output = services.submission_create(
        actor=participant,
        programme=programme,
        title="Trailer",
        intended_use="social",
        url="https://example.org/t.mp4",
    )
    services.submission_decide(
        submission=output, actor=reviewer, outcome="approved", reason=None, note=""
    )
    client = api(manager)
    url = f"/api/v1/submissions/{output.pk}/decide/"
    english = client.post(url, {"outcome": "approved"}, format="json")
    french = client.post(url, {"outcome": "approved"}, format="json", HTTP_ACCEPT_LANGUAGE="fr-FR")
    assert english.status_code == french.status_code
    assert english.json()["code"] == french.json()["code"]
    assert english.json()["detail"].startswith("This item has already been decided")
    assert french.json()["detail"].startswith("Cet élément a déjà été décidé")
