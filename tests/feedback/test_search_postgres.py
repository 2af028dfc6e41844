"""Search and duplicate suggestions on PostgreSQL: full text, trigrams and their indexes.

The page, endpoint and API tests of test_search.py run here again (imported below), so
ranking, restriction, bad input and no leaks hold on both databases; the rest is what only
PostgreSQL does: stemming, ranking by trigram similarity, the GIN indexes the queries use,
and the SQLite fallback's similarity being PostgreSQL's own.
"""

import pytest
from django.db import connection

from approvals import selectors as approval_selectors
from approvals import services as approvals
from approvals.models import OutputSubmission
from core.search import trigram_similarity
from feedback import selectors
from feedback.models import Ticket
from tests.feedback.test_search import (  # noqa: F401 - run again on PostgreSQL
    test_a_participant_searches_only_their_own_outputs,
    test_a_participant_who_is_also_staff_of_the_programme_is_shown_its_tickets,
    test_a_reviewer_searches_only_the_tickets_of_their_programmes,
    test_a_reviewer_searches_the_review_queue_by_title_or_prompt,
    test_a_search_costs_one_query_more_than_the_list_its_count,
    test_a_search_excludes_words_with_a_minus_and_keeps_phrases_together,
    test_a_search_with_a_null_character_gets_a_message_not_a_server_error,
    test_a_short_or_empty_title_suggests_nothing_and_a_too_long_one_gets_a_message,
    test_a_similar_check_reads_tickets_in_the_same_queries_however_many_there_are,
    test_a_tester_finds_their_tickets_by_a_word_of_the_title_or_description,
    test_a_ticket_whose_description_holds_every_word_is_suggested,
    test_a_too_long_search_is_refused_with_a_message_and_lists_nothing,
    test_at_most_five_similar_tickets_are_suggested,
    test_every_word_of_a_search_must_match,
    test_similar_tickets_come_most_similar_first,
    test_similar_tickets_never_include_one_the_tester_may_not_see,
    test_the_api_lists_only_the_visible_tickets_matching_q,
    test_the_api_searches_outputs_through_the_queue_filterset,
    test_the_triage_queue_search_combines_with_filters_and_pages_by_key,
    test_without_javascript_a_check_says_what_is_missing,
    test_without_javascript_checking_first_shows_similar_tickets_and_files_nothing,
)

pytestmark = pytest.mark.postgres

PAIRS = [
    ("Video freezes at frame 48", "Video freezes at frame 50"),
    ("Video freezes at frame 48", "video FREEZES!"),
    ("Login button overlaps the logo", "Logo is hidden by the login button"),
    ("Audio drifts out of sync", "audio drift"),
    ("Crash", "crash when saving a 4K export"),
    ("Ünïcode tïtle naïve café", "naive cafe"),
    ("snake_case_name", "snake case name"),
    ("", "anything"),
]


def _plan(sql, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_python_fallback_computes_the_same_similarity_as_pg_trgm(db):
    with connection.cursor() as cursor:
        for a, b in PAIRS:
            cursor.execute("SELECT similarity(%s, %s)", [a, b])
            expected = cursor.fetchone()[0]
            assert trigram_similarity(a, b) == pytest.approx(expected, abs=1e-6), (a, b)


def test_full_text_search_finds_other_forms_of_a_word(mine, participant, as_user):
    page = as_user(participant).get("/tickets/", {"q": "freeze exporting"}).content.decode()
    assert "Playback stops after export" in page  # "freezes", "exported"
    assert "1 ticket matches" in page


def test_a_search_of_only_stop_words_or_symbols_finds_nothing_without_an_error(
    mine, participant, as_user
):
    client = as_user(participant)
    for q in ("the", "!!!", '"', "-", "or", "a & b | c"):
        response = client.get("/tickets/", {"q": q})
        assert response.status_code == 200, q
        assert client.get("/api/v1/tickets/", {"q": q}).status_code == 200, q


def test_the_ticket_search_reads_its_gin_index(mine, participant):
    qs = selectors.search_tickets(Ticket.objects.all(), "video freezes")
    sql, params = qs.query.sql_with_params()
    assert "feedback_ticket_search_idx" in _plan(sql, params)


def test_the_output_search_reads_its_gin_index(outputs):
    qs = approval_selectors.search_submissions(OutputSubmission.objects.all(), "moon lake")
    sql, params = qs.query.sql_with_params()
    assert "approvals_submission_search_idx" in _plan(sql, params)


def test_similar_tickets_read_the_title_trigram_index(mine, participant, programme):
    from django.contrib.postgres.lookups import TrigramSimilar
    from django.db.models import F, Value

    qs = Ticket.objects.filter(TrigramSimilar(F("title"), Value("Video freezes")))
    sql, params = qs.query.sql_with_params()
    assert "feedback_ticket_title_trgm_idx" in _plan(sql, params)


def test_the_database_ranks_similar_tickets_as_the_fallback_does(
    programme, participant, file_ticket
):
    titles = [
        "Video freezes at frame 48",
        "Video freezes at frame 4800 on export",
        "The video sometimes freezes",
        "Sound missing",
        "Frames drop while video freezes and audio plays",
    ]
    for title in titles:
        file_ticket(participant, programme, title=title)
    typed = "video freezes at frame 49"
    ranked = selectors.similar_tickets(participant, programme, typed)
    expected = sorted(
        (t for t in titles if trigram_similarity(t, typed) >= 0.3),
        key=lambda t: -trigram_similarity(t, typed),
    )
    assert [t.title for t in ranked][: len(expected)] == expected
    assert "Sound missing" not in [t.title for t in ranked]


def test_the_search_indexes_exist_after_migrating(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN "
            "('feedback_ticket_search_idx', 'feedback_ticket_title_trgm_idx', "
            "'approvals_submission_search_idx')"
        )
        assert len(cursor.fetchall()) == 3
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None


def test_a_long_prompt_is_searchable(programme, participant):
    prompt = " ".join(["filler"] * 1500) + " aurora"
    approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Long one",
        prompt=prompt,
        intended_use="social",
        url="https://example.org/long.mp4",
    )
    found = approval_selectors.search_submissions(OutputSubmission.objects.all(), "aurora")
    assert [s.title for s in found] == ["Long one"]
