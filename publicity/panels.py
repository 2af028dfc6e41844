"""The promotional uses of an output, for its pages and its public proof page (where only
channel, period, territory, credit and paid-or-not show): the "output" panel (core.panels)
that the approvals pages ask for, registered in PublicityConfig.ready()."""

from django.template.loader import render_to_string

from .selectors import uses_of


def output_panel(context, submission, public=False) -> str:
    return render_to_string(
        "publicity/_uses.html",
        _uses_context(context, submission, public=public),
        request=context.get("request"),
    )


def _uses_context(context, submission, public=False):
    from programs import policy

    from .selectors import accepted_terms, training_allowed

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
