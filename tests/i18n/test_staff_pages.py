"""The staff side in the reader's language: each area's pages in French and Japanese, with
dates and money as the language writes them (core.l10n), the way a reviewer, a manager or
finance reads them."""

import html

import pytest
from django.utils import translation

from approvals.models import OutputSubmission
from core import l10n
from tests.approvals.conftest import submit  # noqa: F401  (fixture)

FR = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
JA = {"HTTP_ACCEPT_LANGUAGE": "ja,en;q=0.5"}


def _page(client, url, headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def _in(language, fn, *args):
    with translation.override(language):
        return fn(*args)


@pytest.fixture
def due_output(programme, participant, submit):  # noqa: F811
    output = submit(participant, title="Nage de nuit")
    return OutputSubmission.objects.get(pk=output.pk)


def test_the_staff_home_speaks_french_and_japanese(client, reviewer, due_output):
    client.force_login(reviewer)
    fr = _page(client, "/staff/", FR)
    assert "Ce qui demande votre attention" in fr and "What needs attention" not in fr
    ja = _page(client, "/staff/", JA)
    assert "対応が必要なこと" in ja and "What needs attention" not in ja


def test_the_review_queue_and_an_item_in_french_with_dates_as_french_writes_them(
    client, reviewer, due_output
):
    client.force_login(reviewer)
    fr = _page(client, "/review/", FR)
    assert "Productions à examiner" in fr and "Outputs to review" not in fr
    assert "Valider les éléments cochés" in fr and "Prendre</button>" in fr
    if due_output.due_at:  # the review clock's title: the deadline in French words
        assert _in("fr", l10n.moment, due_output.due_at) in fr
    item = _page(client, f"/review/{due_output.pk}/", FR)
    assert "Ce qui a été soumis" in item and "Enregistrer la décision" in item
    assert "Motif" in item and "Demander des modifications" in item


def test_the_review_queue_and_an_item_in_japanese(client, reviewer, due_output):
    client.force_login(reviewer)
    ja = _page(client, "/review/", JA)
    assert "審査待ちの成果物" in ja and "チェックした項目を承認する" in ja
    assert "Outputs to review" not in ja
    if due_output.due_at:
        assert _in("ja", l10n.moment, due_output.due_at) in ja
    item = _page(client, f"/review/{due_output.pk}/", JA)
    assert "提出された内容" in item and "判定を記録する" in item


def test_the_decided_list_and_the_reason_codes_in_both(client, manager, reviewer):
    client.force_login(reviewer)
    assert "Productions décidées" in _page(client, "/review/decided/", FR)
    assert "判定済みの成果物" in _page(client, "/review/decided/", JA)
    client.force_login(manager)
    assert "Ajouter la liste standard" in _page(client, "/review/reasons/", FR)
    assert "標準の一覧を追加する" in _page(client, "/review/reasons/", JA)
