"""Invitations: managers invite people by email (pasted or an uploaded list), mail them
again, extend or revoke them; the invitee accepts (joining the programme) or declines.

Only the hash of an invitation's token is kept, so a new mail is a new link.
"""

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.services import record
from core.errors import DomainError, NotAllowed
from core.languages import language_of
from core.services import notify
from core.text import WHY, is_single_line
from programs import policy
from programs.models import Programme
from programs.selectors import coming_versions, current_terms

from ..models import Invitation, Participation, hash_token
from .consent import _acknowledged
from .participation import _join

INVITATION_DAYS = 14
MAX_INVITES_AT_ONCE = 500


def parse_emails(text: str) -> tuple[list[str], list[str]]:
    """Split pasted text into valid (deduplicated, lower-case) and invalid addresses."""
    valid, invalid, seen = [], [], set()
    for raw in text.replace(",", "\n").replace(";", "\n").split():
        email = raw.strip().strip("<>").lower()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            invalid.append(raw)
            continue
        if email not in seen:
            seen.add(email)
            valid.append(email)
    return valid, invalid


def _already_in(programme: Programme, emails, now) -> tuple[set[str], set[str]]:
    """(addresses already in the programme, addresses with a pending unexpired invitation)."""
    members = set(
        Participation.objects.filter(programme=programme, user__email__in=emails).values_list(
            "user__email", flat=True
        )
    )
    pending = set(
        Invitation.objects.filter(
            programme=programme,
            email__in=emails,
            status=Invitation.Status.PENDING,
            expires_at__gt=now,
        ).values_list("email", flat=True)
    )
    return members, pending


def coming_text(programme: Programme) -> str:
    """The versions of the terms published but not yet in force, in a sentence each, for an
    invitation's mail (empty when none is coming)."""
    lines = []
    for c in coming_versions(programme):
        terms, worse = c["terms"], (c["diff"] or {}).get("worse")
        line = (
            f"Already published: version {terms.number} of the terms takes effect on "
            f"{terms.effective_at:%d %b %Y}"
        )
        lines.append(f"{line}. Worse for you: {', '.join(worse)}." if worse else f"{line}.")
    return "".join(f"\n\n{line}" for line in lines)


def _invitation_mail(
    invitation: Invitation, token: str, *, actor, key: str, coming: str | None = None
) -> None:
    programme = invitation.programme
    with translation.override(language_of(programme=programme)):
        hello = (
            gettext("Hello %(name)s,") % {"name": invitation.name} + "\n\n"
            if invitation.name
            else ""
        )
        if coming is None:
            coming = coming_text(programme)
        subject = gettext("You are invited to %(name)s") % {"name": programme.name}
        body = hello + gettext(
            "%(who)s invites you to the early-access programme %(name)s (%(product)s). Read "
            "the key facts and the full terms before you decide; the link expires on %(day)s."
        ) % {
            "who": actor.email,
            "name": programme.name,
            "product": programme.product,
            "day": f"{invitation.expires_at:%d %b %Y}",
        }
    notify(
        email=invitation.email,
        subject=subject,
        body=body + coming,
        url=reverse("participants:invitation", args=[token]),
        dedupe_key=key,
        programme=programme,
    )


@transaction.atomic
def invitations_create(
    *,
    actor,
    programme: Programme,
    emails: list[str],
    days_valid: int = INVITATION_DAYS,
    names: dict[str, str] | None = None,
) -> list[Invitation]:
    """Invite people by email. Addresses already in the programme or already invited are skipped.

    `names` (address → name) greets each person by name in the mail."""
    policy.require(actor, "manage", programme)
    if not emails:
        raise DomainError("Give at least one email address.", field="emails")
    if len(emails) > MAX_INVITES_AT_ONCE:
        raise DomainError(f"At most {MAX_INVITES_AT_ONCE} invitations at once.", field="emails")
    now = timezone.now()
    names = names or {}
    members, pending = _already_in(programme, emails, now)
    coming = coming_text(programme)
    created = []
    for email in emails:
        if email in members or email in pending:
            continue
        token, token_hash = Invitation.new_token()
        invitation = Invitation.objects.create(
            programme=programme,
            email=email,
            name=names.get(email, "")[:150],
            token_hash=token_hash,
            expires_at=now + timedelta(days=days_valid),
            invited_by=actor,
            last_sent_at=now,
        )
        record(
            action="participants.invitation.created",
            obj=invitation,
            actor=actor,
            programme=programme,
            data={"email": email, "expires_at": invitation.expires_at},
        )
        _invitation_mail(
            invitation, token, actor=actor, key=f"invitation:{invitation.pk}", coming=coming
        )
        invitation.plain_token = token  # for the caller's confirmation page and tests
        created.append(invitation)
    return created


MAX_CSV_BYTES = 256 * 1024
CSV_COLUMNS = ("email", "name")


class InvitationFileError(DomainError):
    """An invitation file with bad lines: `lines` holds one message per bad line."""

    def __init__(self, lines: list[str]):
        super().__init__(
            f"{len(lines)} bad line(s) in the file; nothing was sent. Fix them and upload it "
            "again.",
            field="file",
        )
        self.lines = lines


@dataclass
class InvitationImport:
    """What an uploaded list did: who was invited, and who was not and why."""

    created: list
    members: list  # already in the programme
    pending: list  # already invited (a pending invitation that has not expired)
    duplicates: list  # (line, email, first line): the same address again in the file


def parse_invitation_csv(content: bytes) -> tuple[list[tuple[int, str, str]], list, list[str]]:
    """An uploaded list → (rows (line, email, name), duplicates (line, email, first line),
    errors ("Line 4: …", one per bad line)). A header line names the columns: `email`, and
    optionally `name`, in any order."""
    if len(content) > MAX_CSV_BYTES:
        return (
            [],
            [],
            [f"The file is {len(content) // 1024} KB; at most {MAX_CSV_BYTES // 1024} KB."],
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [], ["The file is not UTF-8 text; save it as CSV UTF-8 and upload it again."]
    if "\x00" in text:
        return [], [], ["The file is not a CSV text file."]
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [], [f"Line 1: {exc}"]
    if not header:
        return [], [], ["The file is empty: the first line must name the columns (email, name)."]
    columns = [c.strip().lower() for c in header]
    errors = []
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if "email" not in columns or unknown or len(set(columns)) != len(columns):
        return (
            [],
            [],
            [
                "Line 1: the first line must name the columns: email, and optionally name "
                f"(found: {', '.join(header) or 'nothing'})."
            ],
        )
    rows, duplicates, seen = [], [], {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue  # blank lines are harmless
            if len(rows) + len(duplicates) + len(errors) >= MAX_INVITES_AT_ONCE:
                errors.append(
                    f"Line {line}: more than {MAX_INVITES_AT_ONCE} addresses; split the file."
                )
                break
            if len(fields) != len(columns):
                errors.append(f"Line {line}: {len(fields)} fields, expected {len(columns)}.")
                continue
            values = dict(zip(columns, (f.strip() for f in fields), strict=True))
            email, name = values["email"].lower(), values.get("name", "")
            if not email:
                errors.append(f"Line {line}: no email address.")
                continue
            try:
                validate_email(email)
            except ValidationError:
                errors.append(f"Line {line}: “{values['email'][:100]}” is not an email address.")
                continue
            if len(name) > 150:
                errors.append(f"Line {line}: the name is longer than 150 characters.")
                continue
            if not is_single_line(name):
                errors.append(f"Line {line}: the name cannot contain {WHY}.")
                continue
            if email in seen:
                duplicates.append((line, email, seen[email]))
                continue
            seen[email] = line
            rows.append((line, email, name))
    except csv.Error as exc:
        errors.append(f"Line {reader.line_num}: {exc}")
    if not rows and not errors:
        errors.append("The file holds no addresses under its header line.")
    return rows, duplicates, errors


@transaction.atomic
def invitations_import(
    *, actor, programme: Programme, content: bytes, days_valid: int = INVITATION_DAYS
) -> InvitationImport:
    """Invite everyone in an uploaded CSV list (`parse_invitation_csv`), or nobody: any bad
    line refuses the whole file with one message per bad line. Repeated addresses, people
    already in the programme and people already invited are reported, not invited twice."""
    policy.require(actor, "manage", programme)
    rows, duplicates, errors = parse_invitation_csv(content)
    if errors:
        raise InvitationFileError(errors)
    emails = [email for _, email, _ in rows]
    members, pending = _already_in(programme, emails, timezone.now())
    fresh = [e for e in emails if e not in members and e not in pending]
    created = (
        invitations_create(
            actor=actor,
            programme=programme,
            emails=fresh,
            days_valid=days_valid,
            names={email: name for _, email, name in rows if name},
        )
        if fresh
        else []
    )
    return InvitationImport(
        created=created,
        members=[e for e in emails if e in members],
        pending=[e for e in emails if e in pending and e not in members],
        duplicates=duplicates,
    )


@transaction.atomic
def invitation_resend(*, actor, invitation: Invitation) -> Invitation:
    """Mail a pending invitation again, with a new link (the old one stops working: only its
    hash is kept). Rate-limited per invitation: ten minutes between mails, five mails in all."""
    invitation = (
        Invitation.objects.select_for_update().select_related("programme").get(pk=invitation.pk)
    )
    policy.require(actor, "manage", invitation)
    now = timezone.now()
    if invitation.status != Invitation.Status.PENDING:
        raise DomainError(
            f"This invitation was {invitation.get_status_display().lower()}; only a pending "
            "one can be sent again."
        )
    if invitation.is_expired(now):
        raise DomainError("This invitation has expired; extend it first, then send it again.")
    if invitation.sends >= Invitation.MAX_SENDS:
        raise DomainError(
            f"This invitation was already mailed {invitation.sends} times, the most allowed. "
            "Revoke it and invite the person again if the address was wrong."
        )
    last = invitation.last_sent_at or invitation.created_at
    if now - last < Invitation.RESEND_AFTER:
        wait = Invitation.RESEND_AFTER - (now - last)
        minutes = max(1, int(wait.total_seconds() // 60) + (wait.total_seconds() % 60 > 0))
        raise DomainError(
            f"This invitation was mailed less than "
            f"{int(Invitation.RESEND_AFTER.total_seconds() // 60)} minutes ago; send it again "
            f"in {minutes} minute(s)."
        )
    token, invitation.token_hash = Invitation.new_token()
    invitation.sends += 1
    invitation.last_sent_at = now
    invitation.save(update_fields=["token_hash", "sends", "last_sent_at"])
    record(
        action="participants.invitation.resent",
        obj=invitation,
        actor=actor,
        programme=invitation.programme,
        data={"email": invitation.email, "sends": invitation.sends},
    )
    _invitation_mail(
        invitation, token, actor=actor, key=f"invitation:{invitation.pk}:{invitation.sends}"
    )
    invitation.plain_token = token
    return invitation


MAX_INVITATION_DAYS = 90


@transaction.atomic
def invitation_extend(*, actor, invitation: Invitation, days: int) -> Invitation:
    """Give a pending invitation (expired or not) a new expiry, `days` from now; the link
    it was sent with keeps working. The invitee is told the new date."""
    invitation = (
        Invitation.objects.select_for_update().select_related("programme").get(pk=invitation.pk)
    )
    policy.require(actor, "manage", invitation)
    if invitation.status != Invitation.Status.PENDING:
        raise DomainError(
            f"This invitation was {invitation.get_status_display().lower()}; only a pending "
            "one can be extended."
        )
    if not 1 <= days <= MAX_INVITATION_DAYS:
        raise DomainError(f"Extend by 1 to {MAX_INVITATION_DAYS} days.", field="days")
    now = timezone.now()
    new = now + timedelta(days=days)
    if new <= invitation.expires_at:
        raise DomainError(
            f"The invitation already runs until {invitation.expires_at:%d %b %Y %H:%M} UTC; "
            "choose a later date.",
            field="days",
        )
    old = invitation.expires_at
    invitation.expires_at = new
    invitation.save(update_fields=["expires_at"])
    record(
        action="participants.invitation.extended",
        obj=invitation,
        actor=actor,
        programme=invitation.programme,
        data={"email": invitation.email, "from": old, "to": new},
    )
    programme = invitation.programme
    notify(
        email=invitation.email,
        subject=f"Your invitation to {programme.name} now runs until {new:%d %b %Y}",
        body=(
            f"The link in your invitation to {programme.name} ({programme.product}) now "
            f"works until {new:%d %b %Y %H:%M} UTC."
        ),
        dedupe_key=f"invitation:{invitation.pk}:extended:{int(new.timestamp())}",
        programme=programme,
    )
    return invitation


def invitation_by_token(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("programme").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        raise DomainError("This invitation link is not valid.", code="not_found")
    return invitation


def _check_invitation_open(invitation: Invitation) -> None:
    if invitation.status != Invitation.Status.PENDING:
        raise DomainError(
            f"This invitation was already {invitation.get_status_display().lower()}.",
            code="closed",
        )
    if invitation.is_expired(timezone.now()):
        raise DomainError(
            "This invitation has expired. Ask the programme's managers for a new one.",
            code="expired",
        )


@transaction.atomic
def invitation_accept(*, actor, token: str, acknowledged: list[str] | None = None) -> Participation:
    """Join the programme through an invitation. Consent to the terms is the next step.

    `acknowledged`: the hashes of the versions published but not yet in force that the
    invitation showed; they must be all of them, and the acceptance records them.
    """
    invitation = invitation_by_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_invitation_open(invitation)
    if actor.email.lower() != invitation.email.lower():
        raise NotAllowed(
            f"This invitation is for {invitation.email}; you are signed in as {actor.email}."
        )
    in_force = current_terms(invitation.programme)
    coming = (
        _acknowledged(in_force, acknowledged)
        if acknowledged is not None and in_force is not None
        else []
    )
    participation = _join(user=actor, programme=invitation.programme, actor=actor, via=invitation)
    invitation.status = Invitation.Status.ACCEPTED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    record(
        action="participants.invitation.accepted",
        obj=invitation,
        actor=actor,
        programme=invitation.programme,
        subject=actor,
        data={"acknowledged": coming} if coming else None,
    )
    return participation


@transaction.atomic
def invitation_decline(*, token: str, reason: str = "", actor=None) -> Invitation:
    invitation = invitation_by_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_invitation_open(invitation)
    invitation.status = Invitation.Status.DECLINED
    invitation.decline_reason = reason.strip()
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "decline_reason", "responded_at"])
    record(
        action="participants.invitation.declined",
        obj=invitation,
        actor=actor,
        programme=invitation.programme,
        data={"reason": invitation.decline_reason},
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    policy.require(actor, "manage", invitation)
    if invitation.status != Invitation.Status.PENDING:
        raise DomainError("Only a pending invitation can be revoked.")
    invitation.status = Invitation.Status.REVOKED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    record(
        action="participants.invitation.revoked",
        obj=invitation,
        actor=actor,
        programme=invitation.programme,
    )
    return invitation
