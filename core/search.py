"""Search: words in titles and descriptions, and texts that look alike. Engine-neutral part.

One function per question, the same on both databases; each app's selectors say which
columns of its model are searched (`feedback.selectors.search_tickets`,
`approvals.selectors.search_submissions`).

- `text_search(qs, q, fields)`: rows whose weighted text matches `q`.
  PostgreSQL: full text (`websearch_to_tsquery`: words, "a phrase", -excluded, or) against
  the same weighted `tsvector` expression a GIN index holds (`gin_index_definition`, made
  in a migration with `core.db.postgres_index`), in English (stemmed: "crashes" finds
  "crash"). SQLite: every word (or quoted phrase) must be in one of the columns,
  case-insensitively (`icontains`); `-word` excludes, `or` joins alternatives.
- `similar(qs, title, fields)`: rows whose title looks like `title` (trigrams) or holds all
  its words (full text), most similar first. PostgreSQL: two index seeks (pg_trgm's GIN
  index on the title, the full-text one). SQLite: the newest rows compared in Python.
- `trigram_similarity(a, b)`: pg_trgm's similarity computed in Python, so the SQLite
  fallback of `similar` ranks as PostgreSQL's `similarity()` does.

Searches filter; they never reorder, so the lists keep their keyset pagination.
"""

import re
from functools import reduce
from operator import and_, or_

import django_filters
from django import forms
from django.contrib.postgres.lookups import TrigramSimilar
from django.contrib.postgres.search import SearchQuery, SearchVector, TrigramSimilarity
from django.db.models import F, Q, Value
from django.utils.translation import gettext_lazy as _

from .db import fast_path, is_postgresql

CONFIG = "english"
MAX_QUERY = 200  # characters of a search; more is refused with a message, never cut
RESULTS_CAP = 1000  # a search counts its matches up to this (a bounded count, not the table)
# pg_trgm's default `pg_trgm.similarity_threshold`: below it two titles are not alike.
SIMILARITY_THRESHOLD = 0.3

QUERY_ERRORS = {"max_length": f"Search for at most {MAX_QUERY} characters."}


def is_postgres(qs) -> bool:
    return is_postgresql(qs.db)


def search_vector(weighted: tuple[tuple[str, str], ...]):
    """The weighted tsvector of (column, weight) pairs, as the query and the index write it."""

    vectors = [SearchVector(column, weight=weight, config=CONFIG) for column, weight in weighted]
    return reduce(lambda a, b: a + b, vectors)


def gin_index_definition(table: str, weighted: tuple[tuple[str, str], ...]) -> str:
    """What follows `CREATE INDEX … ON` for the GIN index of `search_vector(weighted)`.

    Written as Django compiles `search_vector` (setweight(to_tsvector(config, COALESCE(col,
    '')), weight) joined by ||), so PostgreSQL recognises the query's expression as the
    index's; tests/feedback/test_search_postgres.py checks that the plan uses it.
    """
    parts = [
        f"setweight(to_tsvector('{CONFIG}'::regconfig, COALESCE({column}, '')), '{weight}')"
        for column, weight in weighted
    ]
    return f"{table} USING gin (({' || '.join(parts)}))"


def parse(q: str) -> list[list[tuple[str, bool]]]:
    """`q` in websearch syntax as alternatives (split at `or`) of (term, excluded) lists."""
    groups, current = [], []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', q):
        if word.lower() == "or" and not phrase:
            if current:
                groups.append(current)
            current = []
            continue
        excluded = False
        term = phrase
        if not phrase:
            excluded = word.startswith("-") and len(word) > 1
            term = word[1:] if excluded else word
            term = term.strip('"')
        if term.strip():
            current.append((term.strip(), excluded))
    if current:
        groups.append(current)
    return groups


def text_search(qs, q: str, fields: tuple[tuple[str, str], ...]):
    """Rows of `qs` whose columns (`(column, weight)` pairs) match the search `q`."""
    q = (q or "").strip()
    if not q:
        return qs
    if is_postgres(qs):
        query = SearchQuery(q, search_type="websearch", config=CONFIG)
        return qs.alias(_search=search_vector(fields)).filter(_search=query)
    columns = [column for column, _ in fields]
    alternatives = []
    for group in parse(q):
        terms = []
        for term, excluded in group:
            found = reduce(or_, [Q(**{f"{c}__icontains": term}) for c in columns])
            terms.append(~found if excluded else found)
        alternatives.append(reduce(and_, terms))
    if not alternatives:
        return qs.none()
    return qs.filter(reduce(or_, alternatives))


def _trigrams(text: str) -> set[str]:
    grams = set()
    for word in re.findall(r"[^\W_]+", text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's `similarity(a, b)`: shared trigrams of the words over all trigrams."""
    left, right = _trigrams(a), _trigrams(b)
    if not left or not right:
        return 0.0
    shared = len(left & right)
    return shared / (len(left) + len(right) - shared)


def _similar_in_database(qs, title: str, fields, *, limit: int) -> list:

    # Two queries, each seeking its GIN index: in one query with OR, PostgreSQL rechecks
    # both conditions on every candidate row and so rebuilds each description's tsvector.
    # No SearchRank for the same reason: the title's similarity, from the row's title
    # alone, ranks.
    alike = qs.annotate(similarity=TrigramSimilarity("title", title)).order_by("-similarity", "-pk")
    words = SearchQuery(title, search_type="plain", config=CONFIG)
    found = {
        row.pk: row
        for row in [
            *alike.filter(TrigramSimilar(F("title"), Value(title)))[:limit],
            *alike.alias(_search=search_vector(fields)).filter(_search=words)[:limit],
        ]
    }
    return sorted(found.values(), key=lambda row: (-row.similarity, -row.pk))[:limit]


def _similar_in_python(qs, title: str, fields, *, limit: int, recent: int) -> list:
    rows = list(qs.order_by("-pk").only("pk", "title", "status")[:recent])
    worded = set(
        text_search(qs.filter(pk__in=[row.pk for row in rows]), title, fields)
        .values_list("pk", flat=True)
        .order_by()
    )
    alike = []
    for row in rows:
        row.similarity = trigram_similarity(row.title, title)
        if row.similarity >= SIMILARITY_THRESHOLD or row.pk in worded:
            alike.append(row)
    alike.sort(key=lambda row: (-row.similarity, -row.pk))
    return alike[:limit]


def similar(qs, title: str, fields: tuple[tuple[str, str], ...], *, limit: int, recent: int):
    """Up to `limit` rows of `qs` that look like `title`, the most similar first, each with
    `similarity` (0 to 1): its `title` column's trigram similarity reaches
    SIMILARITY_THRESHOLD, or every word of `title` is in its `fields` (full text).
    PostgreSQL reads its indexes; elsewhere the newest `recent` rows are compared here."""
    return fast_path(
        qs.db,
        postgresql=lambda: _similar_in_database(qs, title, fields, limit=limit),
        plain=lambda: _similar_in_python(qs, title, fields, limit=limit, recent=recent),
    )


def result_count(filterset) -> dict | None:
    """How many rows a search of this FilterSet matches (None when nothing is searched).

    Lists are never counted, but a search is a question whose answer includes "how many";
    the count stops after RESULTS_CAP + 1 rows, so it costs at most that many index entries.
    `{"n": 3, "more": False, "q": "export crash"}`; `more` when over RESULTS_CAP.
    """
    if not filterset.is_bound or not filterset.form.is_valid():
        return None
    q = filterset.form.cleaned_data.get("q")
    if not q:
        return None
    n = filterset.qs.order_by()[: RESULTS_CAP + 1].count()
    return {"n": min(n, RESULTS_CAP), "more": n > RESULTS_CAP, "q": q}


class SearchFilter(django_filters.CharFilter):
    """`?q=`: the FilterSet's search box, for pages and the API alike.

    `search(queryset, q)` is the model's search from its app's selectors.
    """

    def __init__(self, *, search, **kwargs):
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "search"}))
        kwargs.setdefault("max_length", MAX_QUERY)
        kwargs.setdefault("error_messages", QUERY_ERRORS)
        super().__init__(**kwargs)
        self.search = search

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        return self.search(qs, value)


class SearchableFilterSet(django_filters.FilterSet):
    """A FilterSet with a `q` search: a refused search (too long) finds nothing, not everything."""

    def filter_queryset(self, queryset):
        if "q" in self.form.errors:
            return queryset.none()
        return super().filter_queryset(queryset)
