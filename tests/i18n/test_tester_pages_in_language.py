"""A tester whose browser asks for Japanese reads their portal and a programme's public page in
Japanese; in French and Arabic the same pages speak those languages."""


def test_accept_language_ja_shows_the_portal_in_japanese(client, programme, participant):
    client.force_login(participant)
    page = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5")
    html = page.content.decode()
    assert page["Content-Language"] == "ja"
    for words in (
        "今週",
        "判断待ちの作品",
        "報酬",
        "チケットと作業時間",
        "自分のデータをダウンロード",
    ):
        assert words in html, words
    for english in ("This week", "Outputs waiting for a decision", "Tickets and hours"):
        assert english not in html, english


def test_the_public_page_and_the_hours_page_follow_the_browser(client, programme, participant):
    public = client.get("/programmes/alpha/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "実際の数字" in public and "規約の履歴" in public
    client.force_login(participant)
    hours = client.get("/hours/", HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()
    assert "Mes heures" in hours and "Semaine précédente" in hours
    assert "Temps travaillé" in hours  # the form's label
    arabic = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert 'dir="rtl"' in arabic and "هذا الأسبوع" in arabic
