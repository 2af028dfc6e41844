"""How the review clock reads on a page: the time left, or how late it is."""

from datetime import timedelta

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

SOON = timedelta(hours=12)


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    # No-break spaces keep a clock on one line in a narrow column.
    if days:
        return f"{days}\u00a0d\u00a0{hours}\u00a0h"
    if hours:
        return f"{hours}\u00a0h\u00a0{mins:02d}\u00a0min"
    return f"{mins}\u00a0min"


@register.simple_tag
def review_clock(submission, now):
    """A badge: green with time to spare, amber when due within 12 h, red when overdue."""
    if not submission.is_open:
        return ""
    if submission.due_at is None:
        return mark_safe('<span class="badge">no deadline</span>')
    left = submission.due_at - now
    due = submission.due_at.strftime("%d %b %H:%M UTC")
    if left <= timedelta(0):
        return format_html(
            '<span class="badge bad" title="Due {}">overdue\u00a0by {}</span>', due, _span(left)
        )
    css = "warn" if left <= SOON else "ok"
    return format_html(
        '<span class="badge {}" title="Due {}">{}\u00a0left</span>', css, due, _span(left)
    )


@register.filter
def waited(submission, now):
    """How long the item has been waiting since it was submitted."""
    return _span(now - submission.submitted_at)
