"""How the review clock reads on a page: the time left, or how late it is."""

from datetime import timedelta

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core import l10n

register = template.Library()

SOON = timedelta(hours=12)


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    # No-break spaces keep a clock on one line in a narrow column.
    if days:
        text = pgettext("duration", "%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    elif hours:
        text = pgettext("duration", "%(hours)s h %(minutes)s min") % {
            "hours": hours,
            "minutes": f"{mins:02d}",
        }
    else:
        text = pgettext("duration", "%(minutes)s min") % {"minutes": mins}
    return text.replace(" ", "\u00a0")


@register.simple_tag
def review_clock(submission, now):
    """A badge: green with time to spare, amber when due within 12 h, red when overdue."""
    if not submission.is_open:
        return ""
    if submission.due_at is None:
        return format_html('<span class="badge">{}</span>', _("no deadline"))
    left = submission.due_at - now
    due = _("Due %(when)s") % {"when": l10n.moment(submission.due_at)}
    if left <= timedelta(0):
        late = (_("overdue by %(time)s") % {"time": _span(left)}).replace(" ", "\u00a0")
        return format_html('<span class="badge bad" title="{}">{}</span>', due, late)
    css = "warn" if left <= SOON else "ok"
    spare = (_("%(time)s left") % {"time": _span(left)}).replace(" ", "\u00a0")
    return format_html('<span class="badge {}" title="{}">{}</span>', css, due, spare)


@register.filter
def waited(submission, now):
    """How long the item has been waiting since it was submitted."""
    return _span(now - submission.submitted_at)
