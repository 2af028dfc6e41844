"""Every change to an output submission, one module per concept.

| module | what changes there |
|---|---|
| `workflow` | what every change shares: lock, status moves, clock, audit, writing a decision |
| `submitting` | submitting an output, resubmitting after changes, withdrawing |
| `reviewing` | claiming, releasing and deciding an item |
| `appeals` | appealing a rejection |
| `deadlines` | deemed approvals, escalations, reminders: the deadline sweep |
| `reasons` | the reason codes reviewers choose from |

Each service locks the submission row, checks its status against
`OutputSubmission.TRANSITIONS`, writes an audit event in the same transaction and queues
the notifications through the outbox. Views, the demo and the periodic task all come
through here (`from approvals import services`); the names below are its interface.
"""

from .appeals import submission_appeal
from .deadlines import (
    DEEM_CHUNK,
    REMIND_BEFORE,
    deadlines_sweep,
    submission_deem_approved,
    submission_escalate,
    submission_remind,
    submissions_deem_approved,
)
from .reasons import (
    DEFAULT_REASONS,
    on_programme_created,
    reason_code_create,
    reason_code_set_active,
    reason_codes_add_defaults,
)
from .reviewing import (
    submission_claim,
    submission_decide,
    submission_release,
    submissions_bulk_approve,
)
from .submitting import submission_create, submission_resubmit, submission_withdraw

__all__ = [
    "DEEM_CHUNK",
    "DEFAULT_REASONS",
    "REMIND_BEFORE",
    "deadlines_sweep",
    "on_programme_created",
    "reason_code_create",
    "reason_code_set_active",
    "reason_codes_add_defaults",
    "submission_appeal",
    "submission_claim",
    "submission_create",
    "submission_deem_approved",
    "submission_decide",
    "submission_escalate",
    "submission_release",
    "submission_remind",
    "submission_resubmit",
    "submission_withdraw",
    "submissions_bulk_approve",
    "submissions_deem_approved",
]
