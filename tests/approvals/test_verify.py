"""The public proof of permission: enough to verify, nothing private."""

from django.urls import reverse

from approvals import services


def test_the_verify_page_shows_the_hash_terms_and_decision_and_nothing_private(
    participant, reviewer, programme, submit, client
):
    s = submit(participant, prompt="SECRET PROMPT words", intended_venue="Private gallery")
    services.submission_decide(
        submission=s, actor=reviewer, outcome="approved", note="Internal remark xyz"
    )
    s.refresh_from_db()
    page = client.get(reverse("approvals:verify", args=[s.verify_token])).content.decode()
    assert s.content_hash in page
    assert "Alpha" in page and "version 1" in page and "Approved" in page
    for private in (
        participant.email,
        reviewer.email,
        "SECRET PROMPT",
        "Internal remark",
        "Private gallery",
        s.url,
        participant.last_name,
    ):
        assert private not in page


def test_a_pending_or_unknown_token_has_no_verify_page(participant, submit, client):
    s = submit(participant)
    assert s.verify_token is None
    assert client.get(reverse("approvals:verify", args=["not-a-real-token"])).status_code == 404


def test_verify_tokens_are_long_and_unguessable(participant, submit):
    tokens = {submit(participant, intended_use="private").verify_token for _ in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 32 for t in tokens)


def test_the_public_figures_count_decisions_and_withhold_them_below_five_people(
    participant, reviewer, programme, submit
):
    from approvals.selectors import transparency_section
    from tests.factories import make_participant

    people = [participant] + [
        make_participant(programme, email=f"p{i}@example.com") for i in range(4)
    ]
    for person in people:
        s = submit(person)
        services.submission_decide(submission=s, actor=reviewer, outcome="approved")
    figures = transparency_section(programme)["approvals"]
    assert figures["approved"] == 5 and figures["decided_after_deadline"] == 0
    assert isinstance(figures["average_review_hours"], float)
    submit(participant, intended_use="private")
    few = transparency_section(programme.__class__.objects.get(pk=programme.pk))
    assert few["sections"][0]["title"] == "Output approval"
