"""No link leads to a refusal: every page, as every persona, and every link it shows.

On the demo data, each persona opens every page its role may open (the pages of the
every-page browser test, taken from the authorization matrix), collects every link and
every GET form of the page that stays on this site, and requests each once. A link the
policy would refuse is not shown (`{% can %}`, `nav`), so none may answer 403. Six
personas: anonymous, a participant, a reviewer, finance, a manager, and a person who is
a participant of one programme and staff of none (the applicant).

Every date input of those pages carries an ISO value (`2026-12-07`), which is all a
browser's date picker shows.

Figure: pages opened, links followed, date inputs checked, problems (must be 0).
"""

import re
from html import unescape
from urllib.parse import urldefrag, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.browser.test_every_page_browser import PERSONAS, _pages, _world
from tests.conftest import summarise

pytestmark = pytest.mark.django_db

DATE_VALUE = re.compile(r'<input\b[^>]*type="date"[^>]*value="([^"]*)"', re.I)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
HREF = re.compile(r'<a\b[^>]*\bhref="([^"#][^"]*)"', re.I)
# Links that end the session or are files: following them proves nothing about refusals.
SKIP = ("/accounts/logout/", "/admin/", "/api/", "/static/", "/media/")
CRAWLED = {**PERSONAS, "applicant": "applicant@example.com"}


def _links(html: str) -> set[str]:
    out = set()
    for raw in HREF.findall(html):
        url = urldefrag(unescape(raw))[0]
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith(SKIP):
            continue
        out.add(url)
    return out


def test_no_page_shows_a_link_that_answers_403_to_the_person_it_is_shown_to(settings):
    settings.REQUIRE_STAFF_MFA = False  # two-factor has its own tests
    world = _world()
    refusals, opened, followed, dates = [], 0, 0, 0
    for persona, email in CRAWLED.items():
        user = get_user_model().objects.get(email=email) if email else None
        client = Client()
        if user is not None:
            client.force_login(user)
        pages = [
            url for _, url in _pages(persona if persona in PERSONAS else "participant", user, world)
        ]
        seen: set[str] = set(pages)
        for page in pages:
            response = client.get(page)
            opened += 1
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            html = response.content.decode()
            # Every date input carries an ISO value, or the browser shows it blank.
            for value in DATE_VALUE.findall(html):
                dates += 1
                if value and not ISO_DATE.fullmatch(value):
                    refusals.append(f"{persona}: {page} fills a date input with {value!r}")
            for link in sorted(_links(html) - seen):
                seen.add(link)
                followed += 1
                answer = client.get(link)
                if answer.status_code == 403:
                    refusals.append(f"{persona}: {page} links to {link}, which answers 403")
    print(
        f"FIGURE link crawl: {len(CRAWLED)} personas, {opened} pages opened, "
        f"{followed} links followed, {dates} filled date inputs, {len(refusals)} problems"
    )
    summarise(pairs=followed)
    assert refusals == [], "\n".join(refusals)
