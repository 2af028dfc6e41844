"""What publicity adds to the pages of an output (approvals sits below and cannot ask):
its promotional uses, and for its tester the training-use choice. The output's review
page, the tester's page and the public proof page show it; config/urls.py hands
`output_part` to approvals' URLconf (`approvals.urls.urls`). On the proof page
(`public=True`) only channel, period, territory, credit and paid-or-not show, and the
name the tester chose to be credited by (`CreditName`), if they chose one.
"""

from django.template.loader import render_to_string

from .selectors import UNNAMED, accepted_terms, credit_name_of, training_allowed, uses_of


def output_part(request, submission, *, public=False) -> str:
    user = getattr(request, "user", None)
    owner = bool(user) and not public and submission.participant_id == getattr(user, "pk", None)
    terms = accepted_terms(user, submission.programme) if owner else None
    chosen = credit_name_of(submission.participant_id, submission.programme) if public else None
    context = {
        # The public proof page names the tester as they chose, and only then.
        "credited": (chosen.shown(credit=True) or UNNAMED) if chosen else "",
        "training_choice": owner and terms is not None and terms.training_is_a_choice,
        "training_per_output": owner and terms is not None and terms.training_use == "per_output",
        "training_allowed": training_allowed(submission, terms=terms) if owner and terms else None,
        "uses": list(uses_of(submission)),
        "public": public,
        "submission": submission,
    }
    return render_to_string("publicity/_uses.html", context, request=request)
