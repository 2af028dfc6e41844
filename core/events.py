"""Things that happen to a person's account outside our services, for `audit` to record.

The events of a programme (terms published, a ticket's status, a decision, …) are
`programs.signals`, one signal each; this module holds the one account event that core
itself announces, so that `audit`, above it, records it without core importing audit.
"""

from django.dispatch import Signal

# A burst of failed log-ins locked an account (core.adapters). Sent with keyword arguments
# user, action (the audit action, "accounts.login.locked") and data (dict).
security_event = Signal()
