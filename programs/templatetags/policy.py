"""Templates ask the policy, never restate a rule: `{% can "triage" ticket as may_triage %}`,
and show a link only to a page the person may open:
`{% may_open "compensation:award_new" as show %}`."""

from django import template

from programs import policy

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, action, obj):
    """May the signed-in person do `action` on `obj` (the rules of `programs.policy`)?"""
    request = context.get("request")
    return policy.can(getattr(request, "user", None), action, obj)


@register.simple_tag(takes_context=True)
def may_open(context, viewname, *args, obj=None, action=None):
    """May the signed-in person open the page `viewname` (`programs.policy.may_open`)?"""
    request = context.get("request")
    return policy.may_open(getattr(request, "user", None), viewname, *args, obj=obj, action=action)
