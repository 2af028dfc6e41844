"""The interface's languages (settings.py reads them from here, to stay one screen shorter).

A page is in the person's own setting (`core.PersonSettings`, or the menu's cookie when not
signed in), else the first of their browser's `Accept-Language` we ship, else the language of
the programme the page is about (`Programme.default_language`), else English
(`core.middleware.LanguageMiddleware`). Catalogues: `locale/<code>/LC_MESSAGES/django.po`,
compiled by `pybabel compile` (Babel, already a dependency) before a run and before the tests.
How to add one: docs/development/languages.md.
"""

from pathlib import Path

LANGUAGE_CODE = "en-gb"
# Django's own codes; right-to-left is Django's LANGUAGES_BIDI ("ar" is in it).
LANGUAGES = [
    ("en-gb", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("ja", "日本語"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [Path(__file__).resolve().parent.parent / "locale"]
# Languages whose catalogue covers every marked string (the catalogue test holds them to it);
# the others cover the parts their docs page names and fall back to English elsewhere.
COMPLETE_LANGUAGES = ("fr", "de", "es", "ja")
