"""No English sentence on a tester's or the public's page escapes translation (a pseudo-locale).

For the length of the test, Japanese is replaced by a pseudo-translation that returns every
string passing through gettext (ours, Django's, allauth's) wrapped in ⟦…⟧. The tester and
public pages of the demo are then rendered through the test client, as an anonymous visitor
and as the demo's participant. Japanese is chosen because nothing else on its pages is written
in Latin letters (Babel writes its dates and money in Japanese, Django its numeric dates), so
whatever Latin word is left outside the markers is English that no gettext saw: an unmarked
string. Not counted: the records' own words (every text value in the database: names, titles,
the organiser's terms), e-mail addresses and links, acronyms (UTC, EUR, API) and the languages'
names in the menu. The test fails listing each page's unmarked text. Takes about 15 s.
"""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.utils.translation import trans_real

from programs.models import Programme
from tests.browser.test_every_page_browser import PERSONAS, _pages, _world
from transparency.figures import latest

pytestmark = [pytest.mark.django_db]

PSEUDO = "ja"
OPEN, CLOSE = "⟦", "⟧"
# The tester's and the public's pages (the staff's, the finance's, the contests' and the
# audit log's pages are marked by their own owners and added here as they are).
TESTER_NAMESPACES = (
    "portal:",
    "participants:",
    "labour:",
    "feedback:",
    "approvals:",
    "publicity:",
    "transparency:",
    "programs:",
)
TESTER_NAMES = {"home", "my_notifications", "account_time_zone"}
NOT_TESTER = ("programs:staff", "participants:staff", "feedback:triage", "approvals:queue")
# Known and owned elsewhere, each listed so that it is taken off when it is marked (the test
# fails on an entry it no longer finds): the bars of the pay chart, stored in the figures'
# snapshot in English.
KNOWN = {
    "0 people",
    "6 people",
    "nothing",
    "nothing: 6 people; : 0 people; : 0 people; : 0 people",
}
STAFF = ("reviewer", "finance", "manager")
# On the staff pages, the same (the public page's pay chart, as above); the codes of the
# reason lists, shown on purpose beside their labels (the code is what the API and the
# downloads carry, and what staff type); words of the data that the data check cannot see
# (it ignores values of two letters and values written like a code): a demo tester's first
# name "Bo" and the venue "zine" she typed; and the ISO 20022 message name of the SEPA
# format choice, the same in every language.
STAFF_KNOWN = KNOWN | {
    "brand",
    "confidential",
    "quality",
    "real-person",
    "safety",
    "unreleased-feature",
    "evidence-missed",
    "misread",
    "not- -duplicate",
    "other",
    "reproducible",
    "terms",
    "Bo",
    "· zine",
    "pain.001.001.03",
}
# The staff pages not yet marked, each with why; the list may only shrink (the test fails on
# a page listed here that has no unmarked text left).
AUDIT = (
    "its sentences come from audit/describe.py (VERBS and the nouns), English; they are "
    "assembled from parts, so marking them means whole-sentence messages per verb"
)
UNMARKED_STAFF_PAGES: dict[str, str] = {
    "staff:programme_audit": AUDIT,
    "audit:mine": AUDIT,
    "provenance:summary": "the summary's fields are generated in English for the EU template "
    "(provenance/summary.py), the document a model provider files; the page shows them",
}

ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-label", "data-confirm")
SKIP_TAGS = {"script", "style", "noscript"}
VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area", "base"}


class PseudoTranslation(trans_real.DjangoTranslation):
    """Every message, whatever its catalogue, comes back as ⟦message⟧ (without its context)."""

    def gettext(self, message):
        if not message:
            return message
        return OPEN + message.split(trans_real.CONTEXT_SEPARATOR, 1)[-1] + CLOSE

    def ngettext(self, msgid1, msgid2, n):
        return self.gettext(msgid1 if n == 1 else msgid2)


class VisibleText(HTMLParser):
    """The text a reader sees or hears: text nodes and the attributes read out, outside
    scripts and outside elements marked `translate="no"` (content in its own language)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.skip: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.skip:
            if tag == self.skip[-1] and tag not in VOID:
                self.skip.append(tag)
            return
        if tag in SKIP_TAGS or attrs.get("translate") == "no":
            if tag not in VOID:
                self.skip.append(tag)
            return
        self.texts += [attrs[a] for a in ATTRIBUTES if attrs.get(a)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if self.skip and tag == self.skip[-1]:
            self.skip.pop()

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(data)


def _database_words() -> list[str]:
    """Every text value of every record (the data's own words), longest first."""
    values = set()
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model._default_manager.values_list(*fields) if fields else []:
            stack = list(row)
            while stack:
                value = stack.pop()
                if isinstance(value, str) and not CODE.match(value.strip()):
                    values.add(value.strip())
                    values.update(line.strip() for line in value.splitlines() if line.strip())
                elif isinstance(value, dict):
                    stack += list(value.values())
                elif isinstance(value, list):
                    stack += value
    values |= {name for _, name in settings.LANGUAGES}
    values |= {"Terms & Testers"}
    return sorted(values, key=len, reverse=True)


# A machine's value (a choice's code, a key), which a page shows only through its label.
CODE = re.compile(r"^[a-z0-9_\-]{0,30}$|^.{0,2}$")
NOISE = re.compile(r"\S+@\S+|https?://\S+|/[\w/.\-?=&]*|\b[A-Z][A-Z0-9]{1,5}\b|\b[a-z]\b")
MARKED = re.compile(OPEN + "[^" + OPEN + CLOSE + "]*" + CLOSE)
WORD = re.compile(r"[A-Za-z]{2,}")


def without_marked(html: str) -> str:
    """`html` without what the markers enclose, tags within included (a marked sentence may
    hold a link), innermost first: ⟦You have ⟦three⟧ new⟧."""
    while True:
        stripped = MARKED.sub(" ", html)
        if stripped == html:
            return html
        html = stripped


def unmarked(text: str, data: list[str]) -> str | None:
    """What of `text` is Latin-letter words outside the markers and the data, if any."""
    rest = " ".join(without_marked(text).split())
    for value in data:
        if value in rest:
            rest = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", rest)
    rest = NOISE.sub(" ", rest)
    return " ".join(rest.split()) if WORD.search(rest) else None


def _tester_page(label: str) -> bool:
    if label.startswith("account "):
        return True
    if label.startswith(NOT_TESTER):
        return False
    return label.startswith(TESTER_NAMESPACES) or label in TESTER_NAMES


@pytest.fixture
def pseudo_locale():
    previous = trans_real._translations.get(PSEUDO)
    trans_real._translations[PSEUDO] = PseudoTranslation(PSEUDO)
    yield
    if previous is None:
        trans_real._translations.pop(PSEUDO, None)
    else:
        trans_real._translations[PSEUDO] = previous


def _unmarked_on_pages(personas, keep):
    """(pages visited, {(persona, label, url): unmarked texts}) over the pages of `personas`
    kept by `keep`."""
    from django.contrib.auth import get_user_model

    world = _world()
    # The public figures are a stored snapshot whose titles and labels are written in English
    # when it is computed (each app's `public_figures`); until they are stored as messages
    # and translated when shown, they count as the record's words (docs: languages.md).
    for programme in Programme.objects.all():
        latest(programme)
    data = _database_words()
    visited, found = 0, {}
    for persona in personas:
        email = PERSONAS[persona]
        user = get_user_model().objects.get(email=email) if email else None
        client = Client(HTTP_ACCEPT_LANGUAGE=PSEUDO)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = PSEUDO
        if user is not None:
            client.force_login(user)
        for label, url in _pages(persona, user, world):
            if not keep(label):
                continue
            response = client.get(url)
            visited += 1
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            parser = VisibleText()
            parser.feed(without_marked(response.content.decode()))
            texts = {u for t in parser.texts if (u := unmarked(t, data))}
            if texts:
                found[(persona, label, url)] = texts
    return visited, found


def test_the_tester_and_public_pages_have_no_unmarked_english(pseudo_locale, settings):
    settings.REQUIRE_STAFF_MFA = False
    visited, found = _unmarked_on_pages(("anonymous", "participant"), _tester_page)
    problems, known = [], set()
    for (persona, _label, url), texts in found.items():
        known |= texts & KNOWN
        problems += [f"{persona} {url}: {text!r}" for text in sorted(texts - KNOWN)]
    print(f"\nFIGURE pseudo-locale: {visited} pages, {len(problems)} unmarked texts")
    assert visited > 20
    problems += [
        f"KNOWN lists {text!r}, no longer on any page: take it off" for text in KNOWN - known
    ]
    assert problems == [], "\n".join(problems)


def test_the_check_sees_an_unmarked_sentence_and_passes_a_marked_one():
    data = ["Nightjar beta"]
    assert unmarked("⟦Log time⟧ · Nightjar beta · UTC", data) is None
    assert unmarked("⟦You have ⟦three⟧ new⟧ messages", data) == "messages"
    assert unmarked("Needs your action", data) == "Needs your action"


def test_the_staff_pages_have_no_unmarked_english(pseudo_locale, settings):
    """Every page the reviewer, the finance person and the manager may open (the staff pages
    and the pages every signed-in person has), under the same pseudo-translation. A page of
    UNMARKED_STAFF_PAGES is not yet marked: its findings are counted, not failed, and the
    test fails when such a page has none left (take it off the list)."""
    settings.REQUIRE_STAFF_MFA = False
    visited, found = _unmarked_on_pages(STAFF, lambda label: True)
    problems, waiting, known = [], set(), set()
    for (persona, label, url), texts in found.items():
        known |= texts & STAFF_KNOWN
        texts -= STAFF_KNOWN
        if texts and label in UNMARKED_STAFF_PAGES:
            waiting.add(label)
            continue
        problems += [f"{persona} {label} {url}: {text!r}" for text in sorted(texts)]
    left = sum(len(t) for (_, label, _), t in found.items() if label in waiting)
    print(
        f"\nFIGURE pseudo-locale staff: {visited} pages, {len(problems)} unmarked texts on "
        f"marked pages; {len(waiting)} pages listed as not yet marked ({left} texts)"
    )
    assert visited > 100
    problems += [
        f"UNMARKED_STAFF_PAGES lists {label}, which has no unmarked text left: take it off"
        for label in set(UNMARKED_STAFF_PAGES) - waiting
    ]
    problems += [
        f"STAFF_KNOWN lists {text!r}, no longer on any page: take it off"
        for text in STAFF_KNOWN - known
    ]
    assert problems == [], "\n".join(problems)
