"""Searching tickets and outputs, and likely duplicates suggested while filing a ticket.

Through the pages, the JSON endpoint and the API, as the people who use them and the
people who must not see what they look for. Run on SQLite here; the tests that
test_search_postgres.py imports run again on PostgreSQL (full text and trigrams).
"""

import re

from feedback.models import Ticket
from programs.models import ProgrammeRole
from tests.factories import make_participant, make_staff

LONG = "x" * 201


def _rows(html: str) -> list[str]:
    """The titles linked from the rows of a list page's table."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<a href="/(?:tickets|outputs)/\d+/">([^<]+)</a>', body)


def _similar(client, programme, title):
    return client.get("/tickets/similar/", {"programme": programme.pk, "title": title})


# --- Search: my tickets, the triage queue, the API ------------------------------------------


def test_a_tester_finds_their_tickets_by_a_word_of_the_title_or_description(
    mine, private, participant, as_user
):
    page = as_user(participant).get("/tickets/", {"q": "freezes"}).content.decode()
    assert sorted(_rows(page)) == ["Playback stops after export", "Video freezes at frame 48"]
    assert "2 tickets match “freezes”." in page
    assert "frame 49" not in page  # participant2's ticket, same word


def test_every_word_of_a_search_must_match(mine, participant, as_user):
    page = as_user(participant).get("/tickets/", {"q": "video credits"}).content.decode()
    assert _rows(page) == ["Playback stops after export"]
    assert "1 ticket matches “video credits”." in page


def test_a_search_excludes_words_with_a_minus_and_keeps_phrases_together(
    mine, participant, as_user
):
    client = as_user(participant)
    page = client.get("/tickets/", {"q": "video -export"}).content.decode()
    assert _rows(page) == ["Video freezes at frame 48"]
    page = client.get("/tickets/", {"q": '"covers the logo"'}).content.decode()
    assert _rows(page) == ["Login button overlaps the logo"]
    page = client.get("/tickets/", {"q": '"logo covers"'}).content.decode()
    assert _rows(page) == []
    assert "No ticket of yours matches." in page


def test_a_search_that_matches_nothing_says_so(mine, participant, as_user):
    page = as_user(participant).get("/tickets/", {"q": "teapot"}).content.decode()
    assert "0 tickets match “teapot”." in page
    assert "No ticket of yours matches." in page


def test_an_empty_search_lists_every_ticket_without_a_count(mine, participant, as_user):
    page = as_user(participant).get("/tickets/", {"q": "  "}).content.decode()
    assert len(_rows(page)) == 3
    assert "match" not in page.split("<tbody>")[0].split("</form>")[-1]


def test_a_too_long_search_is_refused_with_a_message_and_lists_nothing(
    mine, participant, reviewer, as_user, client
):
    response = as_user(participant).get("/tickets/", {"q": LONG})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Search for at most 200 characters." in page
    assert _rows(page) == []
    client.force_login(reviewer)
    page = client.get("/tickets/triage/", {"q": LONG}).content.decode()
    assert "Search for at most 200 characters." in page and _rows(page) == []


def test_a_search_with_a_null_character_gets_a_message_not_a_server_error(
    mine, participant, as_user
):
    response = as_user(participant).get("/tickets/", {"q": "video\x00"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


def test_the_triage_queue_search_combines_with_filters_and_pages_by_key(
    programme, participant, participant2, reviewer, file_ticket, as_user
):
    for i in range(55):
        file_ticket(participant, programme, title=f"Crash number {i} when saving")
    for i in range(3):
        file_ticket(
            participant2,
            programme,
            title=f"Idea {i}: crash reports",
            kind="feature_request",
            severity="",
        )
    file_ticket(participant, programme, title="Sound is too quiet")
    client = as_user(reviewer)
    page = client.get("/tickets/triage/", {"q": "crash", "kind": "bug"}).content.decode()
    assert "55 tickets match “crash”." in page
    seen = _rows(page)
    assert len(seen) == 50
    after = re.search(r'href="\?([^"]*after=[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "q=crash" in after and "kind=bug" in after
    seen += _rows(client.get(f"/tickets/triage/?{after}").content.decode())
    assert sorted(seen) == sorted(f"Crash number {i} when saving" for i in range(55))
    page = client.get("/tickets/triage/", {"q": "crash", "kind": "feature_request"})
    assert len(_rows(page.content.decode())) == 3


def test_a_reviewer_searches_only_the_tickets_of_their_programmes(
    programme, other_programme, participant, outsider, reviewer, file_ticket, as_user
):
    file_ticket(participant, programme, title="Alpha freezes")
    file_ticket(outsider, other_programme, title="Beta freezes")
    page = as_user(reviewer).get("/tickets/triage/", {"q": "freezes"}).content.decode()
    assert _rows(page) == ["Alpha freezes"]


def test_the_api_lists_only_the_visible_tickets_matching_q(
    mine, private, participant, reviewer, as_user, client
):
    body = as_user(participant).get("/api/v1/tickets/", {"q": "freezes"}).json()
    assert sorted(t["title"] for t in body["results"]) == [
        "Playback stops after export",
        "Video freezes at frame 48",
    ]
    client.force_login(reviewer)
    body = client.get("/api/v1/tickets/", {"q": "freezes frame"}).json()
    assert sorted(t["title"] for t in body["results"]) == [
        "Video freezes at frame 48",
        "Video freezes at frame 49",
    ]


def test_the_api_refuses_a_too_long_search_with_a_message(participant, as_user):
    response = as_user(participant).get("/api/v1/tickets/", {"q": LONG})
    assert response.status_code == 400
    assert "Search for at most 200 characters." in response.content.decode()


def test_the_api_schema_documents_the_search_parameter(db, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/api/v1/tickets/", "/api/v1/submissions/"):
        names = [p["name"] for p in schema["paths"][path]["get"]["parameters"]]
        assert "q" in names, path


# --- Search: outputs ---------------------------------------------------------------------------


def test_a_reviewer_searches_the_review_queue_by_title_or_prompt(outputs, reviewer, as_user):
    client = as_user(reviewer)
    page = client.get("/review/", {"q": "moon"}).content.decode()
    assert "Night swim" in page and "Moon landing remake" in page
    assert "City lights" not in page and "Moon over Beta" not in page
    assert "2 outputs match “moon”." in page
    page = client.get("/review/", {"q": "moon", "participant": "participant2"}).content.decode()
    assert "Moon landing remake" in page and "Night swim" not in page
    page = client.get("/review/", {"q": LONG}).content.decode()
    assert "Search for at most 200 characters." in page
    assert "Night swim" not in page and "City lights" not in page


def test_a_participant_searches_only_their_own_outputs(outputs, participant, as_user):
    client = as_user(participant)
    page = client.get("/outputs/", {"q": "moon"}).content.decode()
    assert _rows(page) == ["Night swim"]
    assert "1 output matches “moon”." in page
    page = client.get("/outputs/", {"q": LONG}).content.decode()
    assert "Search for at most 200 characters." in page and _rows(page) == []
    assert "No output of yours matches." in page


def test_the_api_searches_outputs_through_the_queue_filterset(
    outputs, participant, reviewer, as_user, client
):
    body = as_user(participant).get("/api/v1/submissions/", {"q": "moon"}).json()
    assert [s["title"] for s in body["results"]] == ["Night swim"]
    client.force_login(reviewer)
    body = client.get("/api/v1/submissions/", {"q": "lake moon"}).json()
    assert [s["title"] for s in body["results"]] == ["Night swim"]
    assert client.get("/api/v1/submissions/", {"q": LONG}).status_code == 400


# --- Likely duplicates while filing -------------------------------------------------------------


def test_similar_tickets_come_most_similar_first(mine, participant, as_user):
    body = _similar(as_user(participant), mine[0].programme, "Video freezes at frame 50").json()
    titles = [t["title"] for t in body["tickets"]]
    assert titles[0] == "Video freezes at frame 48"
    assert "Login button overlaps the logo" not in titles
    assert body["tickets"][0]["url"] == f"/tickets/{mine[0].pk}/"
    assert body["tickets"][0]["status"] == "New"
    scores = [t["similarity"] for t in body["tickets"]]
    assert scores == sorted(scores, reverse=True) and scores[0] >= 0.5


def test_a_ticket_whose_description_holds_every_word_is_suggested(mine, participant, as_user):
    body = _similar(as_user(participant), mine[0].programme, "exported video credits").json()
    assert [t["title"] for t in body["tickets"]] == ["Playback stops after export"]


def test_similar_tickets_never_include_one_the_tester_may_not_see(
    mine, private, other_programme, outsider, participant, participant2, file_ticket, as_user
):
    file_ticket(outsider, other_programme, title="Video freezes at frame 48")
    client = as_user(participant)
    body = _similar(client, private.programme, "Video freezes at frame 49").json()
    assert private.pk not in [t["id"] for t in body["tickets"]]
    assert "Secret" not in str(body) and "frame 49" not in str(body)
    assert [t["id"] for t in body["tickets"]] == [mine[0].pk]
    # participant2 is shown their own ticket, and not participant's near-identical one.
    client.force_login(participant2)
    body = _similar(client, private.programme, "Video freezes at frame 48").json()
    assert [t["id"] for t in body["tickets"]] == [private.pk]


def test_a_participant_who_is_also_staff_of_the_programme_is_shown_its_tickets(
    mine, private, programme, participant2, as_user
):
    make_staff(programme, ProgrammeRole.Role.REVIEWER, user=participant2)
    body = _similar(as_user(participant2), programme, "Video freezes at frame 48").json()
    assert [t["id"] for t in body["tickets"]][:2] == [mine[0].pk, private.pk]


def test_at_most_five_similar_tickets_are_suggested(programme, participant, file_ticket, as_user):
    for i in range(8):
        file_ticket(participant, programme, title=f"Audio drifts out of sync {i}")
    body = _similar(as_user(participant), programme, "Audio drifts out of sync").json()
    assert len(body["tickets"]) == 5


def test_similar_tickets_need_a_programme_the_tester_takes_part_in(
    mine, programme, outsider, reviewer, as_user, client
):
    response = _similar(as_user(outsider), programme, "Video freezes at frame 48")
    assert response.status_code == 400
    assert response.json() == {"detail": "Choose one of your programmes."}
    client.force_login(reviewer)  # staff, not a participant: files no tickets here
    assert _similar(client, programme, "Video freezes").status_code == 400
    for bad in ("", "abc", "1" * 40, "-1"):
        assert client.get("/tickets/similar/", {"programme": bad, "title": "x"}).status_code == 400


def test_anonymous_visitors_are_sent_to_sign_in(programme, client):
    response = _similar(client, programme, "Video freezes")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_short_or_empty_title_suggests_nothing_and_a_too_long_one_gets_a_message(
    mine, programme, participant, as_user
):
    client = as_user(participant)
    assert _similar(client, programme, "").json() == {"tickets": []}
    assert _similar(client, programme, "Vi").json() == {"tickets": []}
    response = _similar(client, programme, LONG)
    assert response.status_code == 400
    assert response.json() == {"detail": "A title has at most 200 characters."}
    response = _similar(client, programme, "video\x00 freezes")
    assert response.status_code == 400
    assert response.json() == {"detail": "Null characters are not allowed."}


def test_similar_checks_are_rate_limited_per_person(
    mine, programme, participant, participant2, as_user, monkeypatch
):
    from core import ratelimit
    from feedback.views import SIMILAR_PER_MINUTE

    monkeypatch.setattr(ratelimit, "_now", lambda: 1_700_000_001.0)  # one window
    client = as_user(participant)
    for _ in range(SIMILAR_PER_MINUTE):
        assert _similar(client, programme, "Video freezes").status_code == 200
    response = _similar(client, programme, "Video freezes")
    assert response.status_code == 429
    assert "Too many checks for similar tickets" in response.json()["detail"]
    assert response["Retry-After"].isdigit()
    client.force_login(participant2)  # someone else's checks are counted apart
    assert _similar(client, programme, "Video freezes").status_code == 200


def test_the_new_ticket_page_loads_the_suggestion_script(participant, as_user):
    page = as_user(participant).get("/tickets/new/").content.decode()
    assert 'data-url="/tickets/similar/"' in page
    assert "/static/js/similar-tickets.js" in page
    assert "Check for similar tickets first" in page


def test_without_javascript_checking_first_shows_similar_tickets_and_files_nothing(
    mine, private, programme, participant, as_user
):
    before = Ticket.objects.count()
    response = as_user(participant).post(
        "/tickets/new/",
        {
            "programme": programme.pk,
            "kind": "bug",
            "title": "Video freezes at frame 49",
            "description": "It stops.",
            "severity": "high",
            "check": "1",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert Ticket.objects.count() == before
    assert f'<a href="/tickets/{mine[0].pk}/">#{mine[0].pk} Video freezes at frame 48</a>' in page
    assert f"/tickets/{private.pk}/" not in page
    assert 'value="Video freezes at frame 49"' in page  # kept as typed
    assert "It stops." in page
    assert "Attachments are not kept by a check" in page


def test_without_javascript_a_check_says_what_is_missing(programme, participant, as_user):
    client = as_user(participant)
    response = client.post("/tickets/new/", {"title": "Video", "check": "1"})
    assert response.status_code == 400
    assert "Choose the programme first" in response.content.decode()
    response = client.post("/tickets/new/", {"programme": programme.pk, "check": "1"})
    assert "Type a title first" in response.content.decode()
    response = client.post(
        "/tickets/new/", {"programme": programme.pk, "title": LONG, "check": "1"}
    )
    assert "A title has at most 200 characters." in response.content.decode()
    response = client.post(
        "/tickets/new/", {"programme": programme.pk, "title": "video\x00", "check": "1"}
    )
    assert "Null characters are not allowed." in response.content.decode()
    assert Ticket.objects.count() == 0


def test_a_check_never_shows_tickets_of_a_programme_the_tester_is_not_in(
    programme, other_programme, participant, outsider, file_ticket, as_user
):
    ticket = file_ticket(outsider, other_programme, title="Video freezes at frame 48")
    make_participant(other_programme, user=participant, consent=False)
    page = (
        as_user(participant)
        .post(
            "/tickets/new/",
            {"programme": other_programme.pk, "title": "Video freezes at frame 48", "check": "1"},
        )
        .content.decode()
    )
    assert f"/tickets/{ticket.pk}/" not in page
    assert "No similar ticket among those you can see." in page


# --- Costs ----------------------------------------------------------------------------------------


def test_a_search_costs_one_query_more_than_the_list_its_count(
    programme, participant, reviewer, file_ticket, as_user, django_assert_max_num_queries
):
    for i in range(35):
        file_ticket(participant, programme, title=f"Crash {i}")
    client = as_user(participant)
    with django_assert_max_num_queries(5):  # my tickets: 4 (tests/feedback/test_tickets.py)
        page = client.get("/tickets/", {"q": "crash"}).content.decode()
    assert "35 tickets match" in page
    client.force_login(reviewer)
    with django_assert_max_num_queries(8):  # the triage queue: 7 (test_triage.py)
        page = client.get("/tickets/triage/", {"q": "crash"}).content.decode()
    assert "35 tickets match" in page


def test_a_similar_check_reads_tickets_in_the_same_queries_however_many_there_are(
    programme, participant, file_ticket, as_user
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(participant)
    counts = []
    for n in (3, 40):
        while Ticket.objects.count() < n:
            file_ticket(participant, programme, title=f"Video freezes {Ticket.objects.count()}")
        with CaptureQueriesContext(connection) as queries:
            found = _similar(client, programme, "Video freezes").json()["tickets"]
        assert len(found) == min(n, 5)
        counts.append(sum("feedback_ticket" in q["sql"] for q in queries.captured_queries))
    assert counts[0] == counts[1] == 2


def test_checks_with_the_forms_button_count_against_the_same_limit(
    mine, programme, participant, as_user, monkeypatch
):
    from core import ratelimit
    from feedback.views import SIMILAR_PER_MINUTE

    monkeypatch.setattr(ratelimit, "_now", lambda: 1_700_000_061.0)  # one window
    client = as_user(participant)
    for _ in range(SIMILAR_PER_MINUTE):
        assert _similar(client, programme, "Video freezes").status_code == 200
    response = client.post(
        "/tickets/new/", {"programme": programme.pk, "title": "Video freezes", "check": "1"}
    )
    assert response.status_code == 429
    assert "Too many checks for similar tickets" in response.content.decode()
    assert Ticket.objects.count() == 3
