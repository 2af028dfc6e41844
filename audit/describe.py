"""An audit event in one sentence a person reads: who did what, to what, and the amount.

`/audit/mine/` lists the events about a person; "compensation.entry.approved" ten times
tells them nothing, "finance@example.com approved pay entry #31 (5.00 EUR) in Alpha" does.
The dotted code stays in the row (it is what the chain hashes), shown small beside it.
"""

from django.apps import apps

# action → what was done, in the past tense. An action not listed is read from its code.
VERBS = {
    "accounts.email.added": "added the email address",
    "accounts.email.removed": "removed the email address",
    "accounts.email.confirmed": "confirmed the email address",
    "accounts.email.primary_changed": "made the primary email address",
    "accounts.email.change_undone": "restored the primary email address",
    "accounts.email.add_refused": "refused to add the email address",
    "accounts.email.remove_refused": "refused to remove the email address",
    "accounts.email.primary_refused": "refused to make primary the email address",
    "api.token.created": "created API token",
    "api.token.revoked": "revoked API token",
    "approvals.submission.submitted": "submitted",
    "approvals.submission.resubmitted": "submitted a new version of",
    "approvals.submission.withdrawn": "withdrew",
    "approvals.submission.claimed": "started reviewing",
    "approvals.submission.released": "released",
    "approvals.submission.decided": "decided on",
    "approvals.submission.appealed": "appealed the decision on",
    "approvals.submission.escalated": "escalated",
    "approvals.submission.deemed_approved": "deemed approved (deadline missed)",
    "approvals.submission.reminded": "sent a reminder about",
    "approvals.appeal.decided": "decided the appeal on",
    "compensation.entry.accrued": "accrued",
    "compensation.entry.approved": "approved",
    "compensation.entry.paid": "paid",
    "compensation.entry.reversed": "reversed",
    "compensation.bounty.flagged": "flagged a bounty for",
    "feedback.ticket.filed": "filed",
    "feedback.ticket.assigned": "assigned",
    "feedback.ticket.commented": "commented on",
    "feedback.ticket.attachment_added": "attached a file to",
    "feedback.ticket.status_changed": "changed the status of",
    "feedback.ticket.triage_escalated": "escalated to the managers (triage overdue)",
    "feedback.ticket.triage_late_told": "told the reporter the triage decision is late on",
    "feedback.ticket.response_escalated": "escalated to the managers (first response overdue)",
    "feedback.ticket.response_late_told": "told the reporter the first response is late on",
    "feedback.time.logged": "logged",
    "feedback.time.updated": "corrected",
    "feedback.time.confirmed": "confirmed",
    "feedback.time.disputed": "disputed",
    "feedback.time.dispute_answered": "answered the dispute of",
    "participants.application.submitted": "applied to join",
    "participants.application.decided": "decided",
    "participants.consent.accepted": "accepted",
    "participants.invitation.created": "created",
    "participants.invitation.accepted": "accepted",
    "participants.invitation.declined": "declined",
    "participants.invitation.revoked": "revoked",
    "participants.participation.joined": "joined through",
    "participants.participation.status_changed": "changed the status of",
    "programs.role.granted": "granted",
    "programs.terms.editorial_requested": "asked a second manager to confirm as editorial",
    "programs.terms.editorial_confirmed": "confirmed as an editorial change",
    "programs.threshold.proposed": "proposed a change of the two-person threshold of",
    "programs.threshold.confirmed": "confirmed a change of the two-person threshold of",
    "programs.role.revoked": "revoked",
    "accounts.login": "signed in",
    "accounts.login.locked": "was locked out after too many failed sign-ins",
    "accounts.two_factor.added": "set up two-factor authentication",
    "accounts.two_factor.removed": "removed two-factor authentication",
    "api.service_token.created": "created",
    "api.service_token.revoked": "revoked",
    "approvals.reason.created": "created",
    "approvals.reason.updated": "changed",
    "compensation.batch.created": "created",
    "compensation.batch.paid": "marked as paid",
    "compensation.batch.ready": "finished building",
    "compensation.batch.retried": "built again",
    "compensation.batch.statement_imported": "imported the bank statement of",
    "compensation.batch.downloaded": "downloaded a file of",
    "compensation.batch.files_deleted": "deleted the kept files of",
    "compensation.line.sent": "sent",
    "compensation.line.matched_by_hand": "matched a bank line by hand to",
    "compensation.rate.recorded": "recorded",
    "compensation.payout_details.set": "saved",
    "compensation.tax_status.recorded": "recorded",
    "compensation.tax_status.sent": "sent",
    "core.webhook.redelivered": "delivered again",
    "core.webhook.registered": "registered",
    "participants.invitation.extended": "extended",
    "participants.invitation.resent": "mailed again",
    "programs.pause.ended": "ended",
    "programs.pause.started": "started",
    "programs.programme.created": "created",
    "programs.programme.status_changed": "changed the status of",
    "programs.programme.updated": "changed the settings of",
    "programs.terms.draft_updated": "edited the draft",
    "programs.terms.drafted": "drafted",
    "programs.terms.published": "published",
    "programs.terms.translation_published": "published",
    "provenance.credential.signed": "signed",
    "provenance.permission.changed": "changed",
    "publicity.competition.created": "announced",
    "publicity.competition.entered": "made",
    "publicity.competition.entry_withdrawn": "withdrew",
    "publicity.competition.published": "published the results of",
    "publicity.competition.prize_added": "added a prize, after a contest, to",
    "publicity.credit_name.set": "saved",
    "publicity.use.fee_owed": "accrued, after a contest, the fee owed for",
    "publicity.training.chosen": "made",
    "publicity.use.accepted": "accepted",
    "publicity.use.included": "recorded as included in the terms",
    "recourse.contest.opened": "filed",
    "recourse.contest.decided": "answered",
    "recourse.contest.escalated": "escalated to the managers (answer overdue)",
    "recourse.contest.late_told": "told the tester the answer is late on",
    "recourse.reason.created": "added to the contest reasons",
    "recourse.reason.updated": "changed whether testers may give",
    "compensation.payment.late_escalated": "escalated to the managers and finance (payment late)",
    "compensation.payment.late_told": "told the payee of the late payment of",
}
# Model label → how a person names it.
NOUNS = {
    "approvals.outputsubmission": "output",
    "approvals.appeal": "appeal",
    "compensation.ledgerentry": "pay entry",
    "compensation.payoutline": "payout",
    "compensation.payoutbatch": "payout batch",
    "compensation.exchangerate": "exchange rate",
    "feedback.ticket": "ticket",
    "recourse.contest": "contest",
    "recourse.contestreason": "contest reason",
    "labour.timeentry": "hours entry",
    "participants.consent": "consent to the terms",
    "participants.participation": "participation",
    "participants.invitation": "invitation",
    "participants.application": "application",
    "programs.programmerole": "staff role",
    "api.apitoken": "token",
    "api.servicetoken": "service token",
    "approvals.reasoncode": "reason code",
    "participants.accesspause": "pause",
    "programs.termsversion": "terms version",
    "programs.programme": "programme",
    "publicity.trainingchoice": "training choice",
    "publicity.creditname": "credit name",
    "publicity.competitionentry": "competition entry",
    "publicity.promotionaluse": "promotional use",
}


def _noun(label: str) -> str:
    if label in NOUNS:
        return NOUNS[label]
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label.rsplit(".", 1)[-1] or "record"


def _details(action: str, data: dict) -> str:
    """The amount, the outcome or the change, in brackets; "" when there is nothing to add."""
    parts = []
    if data.get("amount") not in (None, ""):
        parts.append(f"{data['amount']} {data.get('currency', '')}".strip())
    if action.startswith("feedback.time.") and data.get("minutes"):
        parts.append(f"{data['minutes']} min")
    for key in ("outcome", "status", "to", "role", "decision"):
        if isinstance(data.get(key), str) and data[key]:
            parts.append(data[key].replace("_", " "))
            break
    if data.get("terms_version") and action == "participants.consent.accepted":
        parts.append(f"terms v{data['terms_version']}")
    for key, label in (("previous", "was"), ("removed", "removed")):
        if action.startswith("accounts.email.") and isinstance(data.get(key), str) and data[key]:
            parts.append(f"{label} {data[key]}")
    # The reason as the person was told it: the label they read, not the code behind it.
    told = data.get("reason_label") or data.get("reason")
    if told and isinstance(told, str):
        parts.append(f"reason: {told}")
    return f" ({', '.join(parts)})" if parts else ""


def _person(user_id, user, viewer, *, system: str = "The system") -> str:
    if user_id is None:
        return system
    if viewer is not None and user_id == viewer.pk:
        return "You"
    return user.email


def _joined(event, viewer) -> str:
    """The person who joined is the subject; whoever let them in (a manager accepting an
    application) is named after."""
    who = _person(event.subject_id or event.actor_id, event.subject or event.actor, viewer)
    where = f" {event.programme.name}" if event.programme_id else " the programme"
    via = (event.data or {}).get("via")
    if via == "application":
        how = " (application accepted"
        if event.actor_id and event.actor_id != event.subject_id:
            how += f" by {_person(event.actor_id, event.actor, viewer)}"
        how += ")"
    else:
        how = " (through an invitation)" if via == "invitation" else ""
    return f"{who} joined{where}{how}."


def describe(event, viewer) -> str:
    """One sentence: "You logged hours entry #5 (90 min) in Alpha."."""
    if event.action == "participants.participation.joined":
        return _joined(event, viewer)
    who = _person(event.actor_id, event.actor, viewer)
    verb = VERBS.get(event.action)
    if verb is None:
        verb = event.action.rsplit(".", 1)[-1].replace("_", " ")
    what = _noun(event.object_type) if event.object_type else ""
    if not what and event.action.startswith("accounts.email."):
        what = str(event.data.get("email") or "")  # the address is what the event is about
    if what and event.object_id:
        what = f"{what} #{event.object_id}"
    where = f" in {event.programme.name}" if event.programme_id else ""
    sentence = f"{who} {verb} {what}".rstrip()
    return f"{sentence}{_details(event.action, event.data)}{where}."
