"""How the review clock reads on a page: the time left, or how late it is."""

from datetime import timedelta

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext

register = template.Library()

SOON = timedelta(hours=12)


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    # No-break spaces keep a clock on one line in a narrow column.
    if days:
        text = pgettext("clock", "%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    elif hours:
        text = pgettext("clock", "%(hours)d h %(mins)02d min") % {"hours": hours, "mins": mins}
    else:
        text = pgettext("clock", "%(mins)d min") % {"mins": mins}
    return text.replace(" ", "\u00a0")


@register.simple_tag
def review_clock(submission, now):
    """A badge: green with time to spare, amber when due within 12 h, red when overdue."""
    if not submission.is_open:
        return ""
    if submission.due_at is None:
        return format_html('<span class="badge">{}</span>', gettext("no deadline"))
    left = submission.due_at - now
    due = submission.due_at.strftime("%d %b %H:%M UTC")
    if left <= timedelta(0):
        return format_html(
            '<span class="badge bad" title="{}">{}</span>',
            gettext("Due %(when)s") % {"when": due},
            gettext("overdue by %(span)s") % {"span": _span(left)},
        )
    css = "warn" if left <= SOON else "ok"
    return format_html(
        '<span class="badge {}" title="{}">{}</span>',
        css,
        gettext("Due %(when)s") % {"when": due},
        gettext("%(span)s left") % {"span": _span(left)},
    )


@register.filter
def waited(submission, now):
    """How long the item has been waiting since it was submitted."""
    return _span(now - submission.submitted_at)
