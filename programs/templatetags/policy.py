"""Templates ask the policy, never restate a rule: `{% can "triage" ticket as may_triage %}`."""

from django import template

from programs import policy

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, action, obj):
    """May the signed-in person do `action` on `obj` (the rules of `programs.policy`)?"""
    request = context.get("request")
    return policy.can(getattr(request, "user", None), action, obj)
