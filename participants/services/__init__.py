"""Getting into a programme, consenting, leaving, pauses, and the access check; one module
per concept.

| module | what changes there |
|---|---|
| `access` | the access check: may a person do new work now (the rule is the policy's) |
| `invitations` | inviting by email or a list, mailing again, extending, accepting, declining |
| `applications` | applying to an open programme, and the manager's decision |
| `participation` | joining, withdrawing, being removed: every status change of a participation |
| `consent` | accepting an exact terms version; announcing a new version |
| `pauses` | pausing and resuming work, for a programme or one participant |
| `reminders` | the once-only reminders of the beat (consent, expiring invitations) |

Every work service (tickets, outputs, hours) calls `require_can_work` first. Callers import
the package (`from participants import services`); the names below are its interface.
"""

from .access import (
    AccessStatus,
    access_check,
    access_checks,
    hours_access,
    not_a_participant,
    require_can_work,
)
from .applications import application_decide, application_submit
from .consent import consent_accept, notify_participants_of_new_terms, on_terms_published
from .invitations import (
    CSV_COLUMNS,
    INVITATION_DAYS,
    MAX_CSV_BYTES,
    MAX_INVITATION_DAYS,
    MAX_INVITES_AT_ONCE,
    InvitationFileError,
    InvitationImport,
    invitation_accept,
    invitation_by_token,
    invitation_decline,
    invitation_extend,
    invitation_resend,
    invitation_revoke,
    invitations_create,
    invitations_import,
    parse_emails,
    parse_invitation_csv,
)
from .participation import participation_remove, participation_withdraw
from .pauses import pause_end, pause_start
from .reminders import reminders_send

__all__ = [
    "CSV_COLUMNS",
    "INVITATION_DAYS",
    "MAX_CSV_BYTES",
    "MAX_INVITATION_DAYS",
    "MAX_INVITES_AT_ONCE",
    "AccessStatus",
    "InvitationFileError",
    "InvitationImport",
    "access_check",
    "access_checks",
    "not_a_participant",
    "application_decide",
    "application_submit",
    "consent_accept",
    "invitation_accept",
    "invitation_by_token",
    "invitation_decline",
    "invitation_extend",
    "invitation_resend",
    "invitation_revoke",
    "invitations_create",
    "invitations_import",
    "notify_participants_of_new_terms",
    "on_terms_published",
    "parse_emails",
    "parse_invitation_csv",
    "participation_remove",
    "participation_withdraw",
    "pause_end",
    "pause_start",
    "reminders_send",
    "hours_access",
    "require_can_work",
]
