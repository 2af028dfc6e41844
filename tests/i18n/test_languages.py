"""The language of a page: the person's setting, then the browser's, then the programme's;
dates and money as the reader's language writes them."""

from datetime import date
from decimal import Decimal

import pytest

from core.models import OutboxMessage, PersonSettings
from programs.models import Programme
from tests.factories import ProgrammeFactory, TermsFactory, make_participant
from tests.programs.test_trust_terms import _publish_v2


@pytest.fixture
def yen_programme(db):
    """Terms a Japanese tester reads: paid in yen (no minor unit), an NDA until a date."""
    terms = TermsFactory(
        programme=ProgrammeFactory(name="Kumo", slug="kumo", currency="JPY"),
        currency="JPY",
        hourly_rate=Decimal("1500"),
        nda=True,
        nda_until=date(2027, 3, 1),
        notice_period_days=14,
    )
    return terms.programme


def test_accept_language_ja_shows_the_consent_screen_and_key_facts_in_japanese(
    client, yen_programme
):
    tester = make_participant(yen_programme, consent=False, email="hana@example.com")
    client.force_login(tester)
    page = client.get("/portal/programmes/kumo/consent/", HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5")
    html = page.content.decode()
    assert page.status_code == 200 and page["Content-Language"] == "ja"
    assert '<html lang="ja" dir="ltr">' in html
    assert "要点" in html  # Key facts
    assert "作業1時間あたり ￥1,500 を支払い。" in html  # yen, with no decimals
    assert "2027年3月1日まで秘密保持。" in html  # the NDA's date, as Japanese writes it
    assert "変更は14日前に告知されます。" in html
    assert "この条件を読み、同意します" in html  # the box to tick
    assert "第1版に同意する" in html  # the button
    assert "Accept version" not in html and "Key facts" not in html


def test_the_key_facts_of_the_public_page_follow_the_browser(client, yen_programme):
    fr = client.get("/programmes/kumo/", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9").content.decode()
    assert "Rémunéré 1\u202f500\u00a0JPY par heure travaillée."  # CLDR's own spaces in fr
    assert "Confidentialité jusqu’au 1 mars 2027." in fr
    de = client.get("/programmes/kumo/", HTTP_ACCEPT_LANGUAGE="de-DE").content.decode()
    assert "Bezahlt mit 1.500\u00a0¥ pro gearbeiteter Stunde." in de


def test_english_stays_as_it_was_without_a_language_asked(client, programme):
    html = client.get("/programmes/alpha/").content.decode()
    assert '<html lang="en-gb" dir="ltr">' in html
    assert "Paid €25.00 per hour worked." in html


def test_arabic_pages_read_right_to_left(client, programme):
    html = client.get("/programmes/alpha/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "الحقائق الأساسية" in html  # the key facts box
    assert "أجر \u200f25.00\u00a0€ عن كل ساعة عمل." in html


def test_the_programme_language_applies_when_the_browser_asks_for_none_we_ship(client, programme):
    Programme.objects.filter(pk=programme.pk).update(default_language="de")
    html = client.get("/programmes/alpha/", HTTP_ACCEPT_LANGUAGE="pt-BR").content.decode()
    assert '<html lang="de"' in html and "Das Wichtigste" in html
    # The browser's own language, when we ship it, comes before the programme's.
    html = client.get("/programmes/alpha/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es"' in html and "Datos clave" in html


def test_the_language_menu_keeps_a_signed_in_persons_setting_over_their_browser(
    client, programme, participant
):
    client.force_login(participant)
    response = client.post(
        "/language/", {"language": "fr", "next": "/programmes/alpha/"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 302 and response["Location"] == "/programmes/alpha/"
    assert PersonSettings.objects.get(user=participant).language == "fr"
    html = client.get("/programmes/alpha/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="fr"' in html and "L’essentiel" in html
    # On another device (no cookie, a new session) the setting follows them.
    client.logout()
    client.cookies.clear()
    client.force_login(participant)
    html = client.get("/programmes/alpha/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="fr"' in html


def test_every_page_has_the_language_menu_naming_each_language_in_itself(client, programme):
    html = client.get("/programmes/alpha/").content.decode()
    assert 'action="/language/"' in html
    for name in ("English", "Français", "Deutsch", "Español", "日本語", "العربية"):
        assert name in html


def test_a_language_we_do_not_offer_changes_nothing(client, participant):
    client.force_login(participant)
    response = client.post("/language/", {"language": "xx", "next": "/portal/"})
    assert response.status_code == 302
    assert not PersonSettings.objects.filter(user=participant).exists()
    assert '<html lang="en-gb"' in client.get("/programmes/alpha/").content.decode()


def test_the_language_of_one_request_does_not_leak_into_the_next(client, programme):
    client.get("/programmes/alpha/", HTTP_ACCEPT_LANGUAGE="ja")
    html = client.get("/programmes/alpha/").content.decode()
    assert '<html lang="en-gb"' in html


def test_a_manager_sets_the_programme_language_on_its_settings_page(client, programme, manager):
    client.force_login(manager)
    response = client.post(
        "/staff/programmes/alpha/settings/",
        {
            "name": programme.name,
            "product": programme.product,
            "summary": programme.summary,
            "currency": programme.currency,
            "default_language": "ja",
        },
    )
    assert response.status_code == 302
    assert Programme.objects.get(pk=programme.pk).default_language == "ja"
    client.logout()
    html = client.get("/programmes/alpha/").content.decode()
    assert '<html lang="ja"' in html and "要点" in html


def test_a_language_the_product_does_not_offer_is_refused_on_the_settings_page(
    client, programme, manager
):
    client.force_login(manager)
    page = client.post(
        "/staff/programmes/alpha/settings/",
        {"name": programme.name, "product": "x", "currency": "EUR", "default_language": "xx"},
    )
    assert page.status_code == 400 and "is not one of the available choices" in (
        page.content.decode()
    )
    assert Programme.objects.get(pk=programme.pk).default_language == ""


def test_the_new_terms_email_reaches_each_tester_in_their_own_language(
    client, programme, manager, participant, participant2
):
    PersonSettings.objects.create(user=participant, language="ja")
    client.force_login(manager)
    _publish_v2(client, programme, hourly_rate="1.00")
    ja = OutboxMessage.objects.get(recipient=participant, subject__contains="新しい条件")
    assert ja.subject == "Alpha の新しい条件"
    assert "条件の第2版は取り決めを変更するもので" in ja.body
    assert "時給額: 25.00 → 1.00 （あなたに不利）" in ja.body  # the diff's label, translated
    # Who chose nothing reads the programme's language, here English.
    en = OutboxMessage.objects.get(recipient=participant2, subject__startswith="New terms")
    assert "Hourly rate: 25.00 → 1.00 (worse for you)" in en.body
