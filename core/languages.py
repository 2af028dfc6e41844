"""Which language a page is in: the person's setting, then the browser's, then the programme's.

Django's own LocaleMiddleware knows the cookie and `Accept-Language`; this adds the setting a
signed-in person keeps (`PersonSettings.language`, copied into the session at sign-in so no
request pays a query for it) and, last, the language of the programme a page is about, which
only the page knows (`use_programme_language`, called by the views that load a programme).
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from .models import PersonSettings

SESSION_KEY = "language"
# Where the page's language came from: the person chose it, their browser asked, or nothing.
CHOSEN, BROWSER, DEFAULT = "chosen", "browser", "default"


def supported(code: str | None) -> str | None:
    """The language of settings.LANGUAGES that `code` asks for (fr-CA → fr), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def chosen_language(request) -> tuple[str, str]:
    """(language, where it came from) for this request, before any programme is known."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if lang := supported(request.session.get(SESSION_KEY)):
            return lang, CHOSEN
    if lang := supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
        return lang, CHOSEN
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code != "*" and (lang := supported(code)):
            return lang, BROWSER
    return settings.LANGUAGE_CODE, DEFAULT


def use_programme_language(request, programme) -> None:
    """A page about `programme`, for someone who chose no language and whose browser asked
    for none we ship: in the programme's own language."""
    if getattr(request, "language_source", DEFAULT) != DEFAULT:
        return
    if lang := supported(getattr(programme, "default_language", "")):
        translation.activate(lang)
        request.LANGUAGE_CODE = lang


def remember_on_sign_in(sender, request, user, **kwargs) -> None:
    """Receiver of `user_logged_in`: the person's language setting goes into their session."""
    language = PersonSettings.objects.filter(user=user).values_list("language", flat=True).first()
    if language and request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = language


def language_of(user=None, programme=None) -> str:
    """The language a message to `user` is written in: their own setting, else the
    programme's default language, else English (an email reaches no browser to ask)."""
    if user is None:
        return supported(getattr(programme, "default_language", "")) or settings.LANGUAGE_CODE
    return languages_of([user], programme)[user.pk]


def languages_of(users, programme=None) -> dict:
    """{user id: language} for many recipients at once (one query), as `language_of`."""
    default = supported(getattr(programme, "default_language", "")) or settings.LANGUAGE_CODE
    chosen = chosen_languages(users)
    return {u.pk: chosen.get(u.pk) or default for u in users}


def chosen_languages(users) -> dict:
    """{user id: the language they chose} for those of `users` who chose one (one query)."""
    rows = PersonSettings.objects.filter(user_id__in=[u.pk for u in users]).exclude(language="")
    return {pk: code for pk, code in rows.values_list("user_id", "language") if supported(code)}
