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
    assert "Œuvres à examiner" in fr and "Outputs to review" not in fr
    assert "Valider les éléments cochés" in fr and "Prendre</button>" in fr
    if due_output.due_at:  # the review clock's title: the deadline in French words
        assert _in("fr", l10n.moment, due_output.due_at) in fr
    item = _page(client, f"/review/{due_output.pk}/", FR)
    assert "Ce qui a été soumis" in item and "Enregistrer la décision" in item
    assert "Motif" in item and "Demander des modifications" in item


def test_the_review_queue_and_an_item_in_japanese(client, reviewer, due_output):
    client.force_login(reviewer)
    ja = _page(client, "/review/", JA)
    assert "審査待ちの作品" in ja and "チェックした項目を承認する" in ja
    assert "Outputs to review" not in ja
    if due_output.due_at:
        assert _in("ja", l10n.moment, due_output.due_at) in ja
    item = _page(client, f"/review/{due_output.pk}/", JA)
    assert "提出された内容" in item and "判定を記録する" in item


def test_the_decided_list_and_the_reason_codes_in_both(client, manager, reviewer):
    client.force_login(reviewer)
    assert "Œuvres décidées" in _page(client, "/review/decided/", FR)
    assert "判定済みの作品" in _page(client, "/review/decided/", JA)
    client.force_login(manager)
    assert "Ajouter la liste standard" in _page(client, "/review/reasons/", FR)
    assert "標準の一覧を追加する" in _page(client, "/review/reasons/", JA)


# --- A programme's staff pages, triage, hours, audit, provenance, tokens -----------------


@pytest.mark.parametrize(
    ("url", "fr_words", "ja_words"),
    [
        (
            "/staff/programmes/alpha/",
            ["Vue d’ensemble", "Enregistrer les paramètres"],
            ["概要", "設定を保存する"],
        ),
        (
            "/staff/programmes/alpha/terms/",
            ["Rédiger une nouvelle version"],
            ["新しいバージョンを下書きする"],
        ),
        ("/staff/programmes/alpha/roles/", ["Donner un rôle", "Rôle"], ["役割を与える", "役割"]),
        ("/staff/programmes/alpha/audit/", ["Journal d’audit", "Qui"], ["監査ログ", "実行者"]),
        (
            "/staff/programmes/alpha/service-tokens/",
            ["Jetons de compte de service"],
            ["サービスアカウントのトークン"],
        ),
        (
            "/staff/programmes/new/",
            ["Créer le programme", "Taux horaire de référence"],
            ["プログラムを作成する", "参考時給"],
        ),
    ],
)
def test_a_managers_programme_pages_in_french_and_japanese(
    client, manager, programme, url, fr_words, ja_words
):
    client.force_login(manager)
    fr, ja = _page(client, url, FR), _page(client, url, JA)
    for word in fr_words:
        assert word in fr, (url, word)
    for word in ja_words:
        assert word in ja, (url, word)


def test_the_programme_page_writes_its_terms_date_in_words(client, manager, programme):
    client.force_login(manager)
    terms = programme.terms.filter(status="published").first()
    if terms is None or terms.effective_at is None:
        pytest.skip("the fixture's programme has no terms in force")
    fr = _page(client, "/staff/programmes/alpha/", FR)
    assert _in("fr", l10n.day, terms.effective_at) in fr  # 7 décembre 2026
    ja = _page(client, "/staff/programmes/alpha/", JA)
    assert _in("ja", l10n.day, terms.effective_at) in ja  # 2026年12月7日


def test_triage_and_hours_queues_in_french_and_japanese(client, reviewer, programme):
    client.force_login(reviewer)
    fr = _page(client, "/tickets/triage/", FR)
    assert "Tickets à trier" in fr and "Appliquer à la sélection" in fr
    assert "トリアージ待ちのチケット" in _page(client, "/tickets/triage/", JA)
    fr = _page(client, "/hours/queue/", FR)
    assert "Heures à confirmer" in fr and "Contester la sélection" in fr
    ja = _page(client, "/hours/queue/", JA)
    assert "確認待ちの作業時間" in ja and "選択したものに異議を唱える" in ja


def test_audit_pages_in_french_and_japanese(client, participant):
    client.force_login(participant)
    assert "Événements me concernant" in _page(client, "/audit/mine/", FR)
    assert "自分に関する記録" in _page(client, "/audit/mine/", JA)
    assert "Clés qui les vérifient" in _page(client, "/audit/checkpoints/", FR)
    assert "検証用の鍵" in _page(client, "/audit/checkpoints/", JA)


def test_the_training_data_summary_and_api_tokens_in_french_and_japanese(
    client, participant, programme
):
    url = f"/programmes/{programme.slug}/training-data-summary/"
    assert "Résumé des données d’entraînement" in _page(client, url, FR)
    assert "学習データの概要" in _page(client, url, JA)
    client.force_login(participant)
    assert "Jetons d’API" in _page(client, "/portal/tokens/", FR)
    assert "APIトークン" in _page(client, "/portal/tokens/", JA)
