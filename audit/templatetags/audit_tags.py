from django import template

from audit.describe import describe

register = template.Library()


@register.simple_tag(takes_context=True)
def event_sentence(context, event):
    """`{% event_sentence e %}`: who did what, to what, and the amount (audit.describe)."""
    request = context.get("request")
    return describe(event, getattr(request, "user", None))
