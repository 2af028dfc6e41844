"""`{% promotional_uses submission %}`: the uses of an output that happen, for its page and
its public proof page (where only channel, period, territory, credit and paid-or-not show)."""

from django import template

from ..selectors import uses_of

register = template.Library()


@register.inclusion_tag("publicity/_uses.html", takes_context=True)
def promotional_uses(context, submission, public=False):
    from programs import policy

    from ..selectors import accepted_terms, training_allowed

    user = context.get("user")
    owner = bool(user) and not public and submission.participant_id == getattr(user, "pk", None)
    terms = accepted_terms(user, submission.programme) if owner else None
    return {
        "training_choice": owner and terms is not None and terms.training_is_a_choice,
        "training_per_output": owner and terms is not None and terms.training_use == "per_output",
        "training_allowed": training_allowed(submission, terms=terms) if owner and terms else None,
        "uses": list(uses_of(submission)),
        "public": public,
        "submission": submission,
        "may_request": bool(user) and policy.can(user, "promote", submission) and not public,
    }
