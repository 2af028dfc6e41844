"""Signals of programmes, for the apps above that react to them (programs imports none)."""

from django.dispatch import Signal

# Sent inside the publishing transaction when a published version of the terms was
# already in force before (so the programme's participants must hear of the new one),
# with `terms`: the new TermsVersion. participants.services notifies the participants.
terms_published = Signal()
