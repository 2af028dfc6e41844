"""In a real browser asking for French or Arabic: the pages of the terms (the public page, a
version's page, the consent screen, the portal) read in that language, right to left in Arabic,
fit 1280 and 390 px and pass axe-core."""

import pytest
from django.test import Client

from programs.services import terms_translation_publish
from tests.browser.test_every_page_browser import AXE, AXE_RUN, OVERFLOW, WIDTHS
from tests.factories import make_participant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/programmes/alpha/",
    "/programmes/alpha/terms/1/",
    "/portal/",
    "/portal/programmes/alpha/consent/",
]
# What each language's page says, so a page that fell back to English is caught.
EXPECTED = {
    "fr": ("fr", "ltr", "L’essentiel"),
    "ar": ("ar", "rtl", "الحقائق الأساسية"),
}


def test_the_terms_pages_read_in_french_and_right_to_left_in_arabic(
    live_server, browser, programme, manager
):
    terms = programme.terms.get(number=1)
    terms_translation_publish(
        actor=manager, terms=terms, language="fr", texts={"body": "Voici les conditions."}
    )
    tester = make_participant(programme, consent=False, email="amal@example.com")
    client = Client()
    client.force_login(tester)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    problems, visited = [], 0
    for language, (lang, direction, words) in EXPECTED.items():
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900}, locale=language)
            context.add_init_script(path=str(AXE))
            context.add_cookies([{**cookie, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(15000)
            for url in PAGES:
                response = page.goto(live_server.url + url)
                visited += 1
                where = f"{language} {width}px {url}"
                if response.status != 200:
                    problems.append(f"{where}: answered {response.status}")
                    continue
                html = page.locator("html")
                if (html.get_attribute("lang"), html.get_attribute("dir")) != (lang, direction):
                    problems.append(f"{where}: html lang/dir {html.get_attribute('lang')}")
                if words not in page.content():
                    problems.append(f"{where}: no “{words}”")
                if overflow := page.evaluate(OVERFLOW):
                    problems.append(f"{where}: scrolls sideways, {overflow}")
                problems += [f"{where}: {v}" for v in page.evaluate(AXE_RUN)]
            context.close()
    print(f"\nFIGURE languages: {visited} visits (fr and ar × 2 widths), {len(problems)} problems")
    assert problems == [], "\n".join(problems)
