"""Which time zone a page shows times in: the person's setting, then the browser's, then UTC.

The same order as the language (`core.languages`): the setting a signed-in person keeps
(`PersonSettings.time_zone`, copied into the session at sign-in so no request pays a query
for it), then the cookie `tz` that static/js/timezone.js sets from the browser
(`Intl.DateTimeFormat().resolvedOptions().timeZone`), then UTC. A name that is not an IANA
zone is ignored, never an error. Emails and exports stay in UTC and say so.
"""

import zoneinfo
from functools import cache

from .models import PersonSettings

SESSION_KEY = "time_zone"
COOKIE_NAME = "tz"


@cache
def names() -> frozenset[str]:
    """Every IANA zone name this machine knows."""
    return frozenset(zoneinfo.available_timezones())


def valid(name: str | None) -> str | None:
    """`name` if it is an IANA zone, else None."""
    return name if name and name in names() else None


def chosen_zone(request) -> str | None:
    """The zone's name for this request, or None for UTC."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if zone := valid(request.session.get(SESSION_KEY)):
            return zone
    return valid(request.COOKIES.get(COOKIE_NAME))


def saved_zone(user) -> str:
    """The zone the person chose, or "" (the browser's)."""
    zone = PersonSettings.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return zone or ""


def remember_on_sign_in(sender, request, user, **kwargs) -> None:
    """Receiver of `user_logged_in`: the person's time-zone setting goes into their session."""
    zone = saved_zone(user)
    if zone and request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = zone
