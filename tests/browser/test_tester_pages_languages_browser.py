"""Every tester and public page in French and in Arabic (right to left), at desk and phone width.

On the demo data, the pages the pseudo-locale check renders (`tests/i18n/test_pseudo_locale.py`:
the every-page list of the anonymous visitor and the participant, less the staff's) are opened
in a real browser asking for French, then Arabic. Each must answer in that language
(`<html lang>` and `dir`), not scroll sideways at 1280 or 390 px (Arabic words are longer,
French sentences too, and a right-to-left page scrolls to the left), and pass axe-core with no
serious or critical violation.

Figure: visits, problems.
"""

import pytest
from django.test import Client

from tests.browser.test_every_page_browser import (
    AXE,
    AXE_RUN,
    OVERFLOW,
    PERSONAS,
    WIDTHS,
    _pages,
    _world,
)
from tests.i18n.test_pseudo_locale import STAFF, _tester_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"fr": "ltr", "ar": "rtl"}


def _visit_in_languages(live_server, browser, settings, personas, keep):
    """(visits, problems) of the pages of `personas` kept by `keep`, in each language and width."""
    from django.contrib.auth import get_user_model

    settings.REQUIRE_STAFF_MFA = False
    world = _world()
    problems, visited = [], 0
    for persona in personas:
        email = PERSONAS[persona]
        user = get_user_model().objects.get(email=email) if email else None
        pages = [(label, url) for label, url in _pages(persona, user, world) if keep(label)]
        cookies = []
        if user is not None:
            client = Client()
            client.force_login(user)
            cookies = [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        for language, direction in LANGUAGES.items():
            for width in WIDTHS:
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, locale=language
                )
                context.add_init_script(path=str(AXE))
                context.add_cookies(
                    [
                        *cookies,
                        {
                            "name": settings.LANGUAGE_COOKIE_NAME,
                            "value": language,
                            "url": live_server.url,
                        },
                    ]
                )
                page = context.new_page()
                page.set_default_timeout(15000)
                for _label, url in pages:
                    response = page.goto(live_server.url + url)
                    visited += 1
                    where = f"{persona} {language} {width}px {url}"
                    if response.status >= 500:
                        problems.append(f"{where}: answered {response.status}")
                        continue
                    html = page.locator("html")
                    if (html.get_attribute("lang"), html.get_attribute("dir")) != (
                        language,
                        direction,
                    ):
                        problems.append(f"{where}: html lang/dir {html.get_attribute('lang')}")
                    if overflow := page.evaluate(OVERFLOW):
                        problems.append(f"{where}: scrolls sideways, {overflow}")
                    problems += [f"{where}: {v}" for v in page.evaluate(AXE_RUN)]
                context.close()
    return visited, problems


def test_every_tester_page_reads_in_french_and_right_to_left_in_arabic(
    live_server, browser, settings
):
    visited, problems = _visit_in_languages(
        live_server, browser, settings, ("anonymous", "participant"), _tester_page
    )
    print(
        f"\nFIGURE tester pages fr/ar: {visited} visits (2 personas × 2 languages × 2 widths), "
        f"{len(problems)} problems"
    )
    assert visited > 100
    assert problems == [], "\n".join(problems)


def test_every_staff_page_reads_in_french_and_right_to_left_in_arabic(
    live_server, browser, settings
):
    """Every page the reviewer, the finance person and the manager may open (the list of the
    every-page test), in French and in Arabic at 1280 and 390 px."""
    visited, problems = _visit_in_languages(
        live_server, browser, settings, STAFF, lambda label: True
    )
    print(
        f"\nFIGURE staff pages fr/ar: {visited} visits (3 personas × 2 languages × 2 widths), "
        f"{len(problems)} problems"
    )
    assert visited > 400
    assert problems == [], "\n".join(problems)
