"""One status badge for every record: `{% status_badge ticket %}`.

A model says how its statuses read with `STATUS_TONES` ({status: "ok" | "warn" | "bad"});
one whose badge depends on more than its status defines `badge()` → (label, tone).
"""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def status_badge(obj):
    if hasattr(obj, "badge"):
        label, tone = obj.badge()
    else:
        label, tone = obj.get_status_display(), obj.STATUS_TONES.get(obj.status, "")
    if tone:
        return format_html('<span class="badge {}">{}</span>', tone, label)
    return format_html('<span class="badge">{}</span>', label)
