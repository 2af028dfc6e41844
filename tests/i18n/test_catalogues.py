"""The catalogues cannot rot: every marked string has its translation in each complete
language, and no translation breaks a placeholder (in any shipped language)."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

from tests.conftest import ROOT, compile_catalogues

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}")


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def _keeps_placeholders(entry, form: str) -> bool:
    """A translation names exactly the English placeholders. A plural form may leave out the
    count ("Une nouvelle version…" for one), never add a name or lose another."""
    if not entry.msgid_plural:
        return _placeholders(form) == _placeholders(entry.msgid)
    names = set(_placeholders(form))
    return set(_placeholders(entry.msgid)) <= names <= set(_placeholders(entry.msgid_plural))


def catalogue_problems(path: Path, *, complete: bool) -> list[str]:
    """What is wrong with one .po file: untranslated or fuzzy entries (when the language must
    be complete), and translations whose placeholders differ from the English ones."""
    po = polib.pofile(str(path))
    lang = path.parts[-3]
    problems = []
    nplurals = int(re.search(r"nplurals=(\d+)", po.metadata.get("Plural-Forms", "")).group(1))
    for entry in po:
        if entry.obsolete:
            continue
        name = f"{lang}: {entry.msgid[:60]!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"{name} is fuzzy")
        forms = (
            [entry.msgstr_plural.get(i, "") for i in range(nplurals)]
            if entry.msgid_plural
            else [entry.msgstr]
        )
        if not all(forms):
            if complete:
                problems.append(f"{name} has no translation")
            continue
        for form in forms:
            if not _keeps_placeholders(entry, form):
                problems.append(f"{name} breaks its placeholders: {form!r}")
    return problems


def _catalogue(lang: str) -> Path:
    return ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("lang", [code for code, _ in settings.LANGUAGES if code != "en-gb"])
def test_every_shipped_catalogue_is_whole_and_keeps_its_placeholders(lang):
    complete = lang in settings.COMPLETE_LANGUAGES
    assert catalogue_problems(_catalogue(lang), complete=complete) == []


def test_the_check_fails_on_a_missing_translation_and_on_a_broken_placeholder(tmp_path):
    po = polib.pofile(str(_catalogue("fr")))
    missing = po.find("Paid %(amount)s per hour worked.")
    missing.msgstr = ""
    broken = po.find("Grant of %(amount)s.")
    broken.msgstr = "Bourse de %(montant)s."
    path = tmp_path / "fr" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True)
    po.save(str(path))
    problems = catalogue_problems(path, complete=True)
    assert problems == [
        "fr: 'Paid %(amount)s per hour worked.' has no translation",
        "fr: 'Grant of %(amount)s.' breaks its placeholders: 'Bourse de %(montant)s.'",
    ]


def test_the_compiled_catalogues_are_the_ones_django_reads():
    compiled = compile_catalogues()
    assert {p.parts[-3] for p in compiled} == {"fr", "de", "es", "ja", "ar"}
    with translation.override("ja"):
        assert translation.gettext("Key facts") == "要点"
    with translation.override("ar"):
        assert translation.gettext("Key facts") == "الحقائق الأساسية"
        # Arabic ships the key facts and the pages' frame; the rest falls back to English.
        assert translation.gettext("The full terms") == "The full terms"
