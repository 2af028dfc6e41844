"""Getting into a programme, consenting, leaving, and the access check.

The access check is the one place that decides whether a person may do new
work (file tickets, submit outputs, log hours) in a programme. Every work
service calls `require_can_work` first.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from audit.services import record
from core.errors import DomainError, NotAllowed
from core.services import notify
from core.text import WHY, is_single_line
from programs import policy
from programs.models import Programme, TermsVersion
from programs.selectors import current_terms, required_terms, upcoming_terms
from programs.services import describe_changes, terms_diff

from .models import AccessPause, Application, Consent, Invitation, Participation, hash_token
from .selectors import active_programme_pause

User = get_user_model()
INVITATION_DAYS = 14
MAX_INVITES_AT_ONCE = 500


# --- The access check ------------------------------------------------------------


@dataclass
class AccessStatus:
    """Whether a person may work in a programme now, and if not, why."""

    active: bool
    code: str
    message: str
    participation: Participation | None = None
    terms: TermsVersion | None = None

    def as_dict(self) -> dict:
        return {
            "active": self.active,
            "code": self.code,
            "message": self.message,
            "participation_status": self.participation.status if self.participation else None,
            "terms_version": self.terms.number if self.terms else None,
        }


_LOOK_UP = object()


def not_a_participant() -> AccessStatus:
    """The answer for anyone who is not in the programme, with an account or without one:
    the access check never tells whether an address has an account."""
    return AccessStatus(False, "not_a_participant", "You are not a participant of this programme.")


def access_check(
    user,
    programme: Programme,
    at=None,
    *,
    participation=_LOOK_UP,
    pause=_LOOK_UP,
    terms=_LOOK_UP,
    needed=_LOOK_UP,
    accepted=_LOOK_UP,
) -> AccessStatus:
    """Answer, for one person and one programme, whether access is active now and why not.

    The keyword arguments are facts already read (by `access_checks`, for many
    programmes at once); whatever is not given is looked up here.
    """
    at = at or timezone.now()
    if not user.is_authenticated:
        return AccessStatus(False, "not_signed_in", "Sign in first.")
    if participation is _LOOK_UP:
        participation = Participation.objects.filter(user=user, programme=programme).first()
    if participation is None:
        return not_a_participant()
    P = Participation.Status
    if participation.status == P.WITHDRAWN:
        return AccessStatus(
            False, "withdrawn", "You have withdrawn from this programme.", participation
        )
    if participation.status == P.REMOVED:
        reason = f" Reason: {participation.status_reason}" if participation.status_reason else ""
        return AccessStatus(
            False, "removed", f"You were removed from this programme.{reason}", participation
        )
    if pause is _LOOK_UP:
        pause = active_programme_pause(programme, at)
    if pause is not None:
        return AccessStatus(
            False,
            "programme_paused",
            f"Access to the whole programme is paused: {pause.reason}",
            participation,
        )
    if programme.status not in Programme.WORKING:
        return AccessStatus(
            False,
            "programme_not_running",
            f"The programme is {programme.get_status_display().lower()}; no new work is accepted.",
            participation,
        )
    if participation.status == P.PAUSED:
        own = (
            AccessPause.objects.filter(participation=participation, ended_at__isnull=True)
            .order_by("-starts_at")
            .first()
        )
        why = own.reason if own else participation.status_reason
        return AccessStatus(
            False, "participant_paused", f"Your access is paused: {why}", participation
        )
    if terms is _LOOK_UP:
        terms = current_terms(programme, at)
    if terms is None:
        return AccessStatus(
            False, "no_terms", "The programme has no published terms yet.", participation
        )
    if needed is _LOOK_UP:
        needed = required_terms(programme, at)
    if accepted is _LOOK_UP:
        accepted = (
            Consent.objects.filter(participation=participation, terms_version__programme=programme)
            .order_by("-terms_version__number")
            .values_list("terms_version__number", flat=True)
            .first()
        )
    if accepted is None or accepted < needed.number:
        return AccessStatus(
            False,
            "consent_required",
            f"Accept the terms (version {terms.number}) before doing any further work.",
            participation,
            terms,
        )
    return AccessStatus(True, "active", "Access is active.", participation, terms)


def access_checks(user, participations, at=None, *, published=None) -> list[AccessStatus]:
    """`access_check` for each of a person's participations, in three queries in all.

    The portal lists every programme of a person; reading the pauses, the terms
    and the consents of all of them at once keeps the page's query count fixed.
    Facts already read are not read again: `published` (the published terms of these
    programmes, any order) and, on participations from `selectors.my_participations`,
    the programme pause and the newest version accepted (annotations).
    """
    from django.db.models import Max

    at = at or timezone.now()
    participations = list(participations)
    programme_ids = {p.programme_id for p in participations}
    annotated = all(hasattr(p, "accepted_number") for p in participations)
    pauses = {}
    if annotated:
        for p in participations:
            if p.pause_id is not None:
                pauses[p.programme_id] = AccessPause(
                    pk=p.pause_id, programme_id=p.programme_id, reason=p.pause_reason
                )
    else:
        for pause in (
            AccessPause.objects.filter(
                programme_id__in=programme_ids, participation__isnull=True, starts_at__lte=at
            )
            .exclude(ended_at__lte=at)
            .order_by("starts_at")
        ):
            pauses[pause.programme_id] = pause  # the latest start wins (active_programme_pause)
    effective = defaultdict(list)
    if published is None:
        published = (
            TermsVersion.objects.effective(at)
            .filter(programme_id__in=programme_ids)
            .order_by("programme_id", "number")
        )
    for terms in sorted(published, key=lambda t: (t.programme_id, t.number)):
        if terms.status == TermsVersion.Status.PUBLISHED and terms.effective_at <= at:
            effective[terms.programme_id].append(terms)
    if annotated:
        accepted = {p.pk: p.accepted_number for p in participations}
    else:
        accepted = dict(
            Consent.objects.filter(
                participation__in=[p.pk for p in participations],
                terms_version__programme=F("participation__programme"),
            )
            .values_list("participation")
            .annotate(n=Max("terms_version__number"))
            .values_list("participation", "n")
        )
    out = []
    for p in participations:
        versions = effective.get(p.programme_id, [])
        material = [t for t in versions if t.material_change]
        out.append(
            access_check(
                user,
                p.programme,
                at,
                participation=p,
                pause=pauses.get(p.programme_id),
                terms=versions[-1] if versions else None,
                needed=(material[-1] if material else versions[0]) if versions else None,
                accepted=accepted.get(p.pk),
            )
        )
    return out


def require_can_work(user, programme: Programme) -> AccessStatus:
    """Raise NotAllowed with the reason unless the person may do new work now."""
    status = access_check(user, programme)
    if not status.active:
        raise NotAllowed(status.message, code=status.code)
    return status


# --- Invitations ---------------------------------------------------------------------


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


def _invitation_mail(invitation: Invitation, token: str, *, actor, key: str) -> None:
    programme = invitation.programme
    hello = f"Hello {invitation.name},\n\n" if invitation.name else ""
    notify(
        email=invitation.email,
        subject=f"You are invited to {programme.name}",
        body=(
            f"{hello}{actor.email} invites you to the early-access programme {programme.name} "
            f"({programme.product}). Read the key facts and the full terms before you "
            f"decide; the link expires on {invitation.expires_at:%d %b %Y}."
        ),
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
        _invitation_mail(invitation, token, actor=actor, key=f"invitation:{invitation.pk}")
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
    import csv
    import io

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
def invitation_accept(*, user, token: str) -> Participation:
    """Join the programme through an invitation. Consent to the terms is the next step."""
    invitation = invitation_by_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_invitation_open(invitation)
    if user.email.lower() != invitation.email.lower():
        raise NotAllowed(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}."
        )
    participation = _join(user=user, programme=invitation.programme, actor=user, via=invitation)
    invitation.status = Invitation.Status.ACCEPTED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    record(
        action="participants.invitation.accepted",
        obj=invitation,
        actor=user,
        programme=invitation.programme,
        subject=user,
    )
    return participation


@transaction.atomic
def invitation_decline(*, token: str, reason: str = "", user=None) -> Invitation:
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
        actor=user,
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


def _join(*, user, programme: Programme, actor, via: Invitation | None = None) -> Participation:
    existing = (
        Participation.objects.select_for_update().filter(user=user, programme=programme).first()
    )
    if existing is not None:
        if existing.status in Participation.ENDED:
            raise DomainError(
                f"You have {existing.get_status_display().lower()} from this programme before; "
                "ask its managers to re-admit you.",
                code="ended",
            )
        return existing
    participation = Participation.objects.create(
        user=user,
        programme=programme,
        via_invitation=via,
        status=Participation.Status.ACTIVE,
        status_changed_at=timezone.now(),
    )
    record(
        action="participants.participation.joined",
        obj=participation,
        actor=actor,
        programme=programme,
        subject=user,
        data={"via": "invitation" if via else "application"},
    )
    return participation


# --- Applications ---------------------------------------------------------------------


@transaction.atomic
def application_submit(
    *, user, programme: Programme, motivation: str, portfolio_url: str = ""
) -> Application:
    if programme.status != Programme.Status.OPEN:
        raise DomainError("This programme is not taking applications.", code="closed")
    if Participation.objects.filter(user=user, programme=programme).exists():
        raise DomainError("You are already in this programme.")
    if Application.objects.filter(
        user=user, programme=programme, status=Application.Status.PENDING
    ).exists():
        raise DomainError("You have already applied; your application is waiting for a decision.")
    if not motivation.strip():
        raise DomainError("Say briefly why you want to take part.", field="motivation")
    application = Application.objects.create(
        user=user, programme=programme, motivation=motivation.strip(), portfolio_url=portfolio_url
    )
    record(
        action="participants.application.submitted",
        obj=application,
        actor=user,
        programme=programme,
        subject=user,
    )
    return application


@transaction.atomic
def application_decide(
    *, actor, application: Application, accept: bool, reason: str
) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    policy.require(actor, "manage", application)
    if application.status != Application.Status.PENDING:
        raise DomainError("This application was already decided.")
    reason = reason.strip()
    if not accept and not reason:
        raise DomainError("A rejection needs a reason the applicant will read.", field="reason")
    application.status = Application.Status.ACCEPTED if accept else Application.Status.REJECTED
    application.decision_reason = reason
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    if accept:
        _join(user=application.user, programme=application.programme, actor=actor)
    record(
        action="participants.application.decided",
        obj=application,
        actor=actor,
        programme=application.programme,
        subject=application.user,
        data={"outcome": application.status, "reason": reason},
    )
    notify(
        user=application.user,
        subject=f"Your application to {application.programme.name} was {application.status}",
        body=(reason or "Welcome! Read and accept the terms in your portal to start."),
        url=reverse("portal:home"),
        dedupe_key=f"application-decided:{application.pk}",
        programme=application.programme,
    )
    return application


# --- Consent ---------------------------------------------------------------------------


@transaction.atomic
def consent_accept(
    *, user, programme: Programme, terms: TermsVersion, seen_hash: str, ip: str | None = None
) -> Consent:
    """Record that the participant accepted this exact version, as they saw it.

    `seen_hash` is the hash of the version shown on the consent screen; if it
    does not match, the person did not see these terms and nothing is recorded.
    """
    participation = (
        Participation.objects.select_for_update().filter(user=user, programme=programme).first()
    )
    if participation is None:
        raise NotAllowed("You are not a participant of this programme.")
    if participation.status in Participation.ENDED:
        raise NotAllowed(
            f"You have {participation.get_status_display().lower()}; there is nothing to accept."
        )
    if terms.programme_id != programme.pk or not terms.is_published:
        raise DomainError("These terms are not published for this programme.")
    if seen_hash != terms.content_hash:
        raise DomainError(
            "The terms you were shown are not these terms. Reload the page and read them again.",
            code="hash_mismatch",
        )
    offered = {t.pk for t in (current_terms(programme), upcoming_terms(programme)) if t}
    if terms.pk not in offered:
        raise DomainError("A newer version of these terms exists; accept that one instead.")
    existing = Consent.objects.filter(participation=participation, terms_version=terms).first()
    if existing:
        return existing
    consent = Consent.objects.create(
        participation=participation,
        terms_version=terms,
        terms_hash=terms.content_hash,
        accepted_at=timezone.now(),
        ip_address=ip,
    )
    record(
        action="participants.consent.accepted",
        obj=consent,
        actor=user,
        programme=programme,
        subject=user,
        data={"terms_version": terms.number, "terms_hash": terms.content_hash},
    )
    return consent


# --- Membership -------------------------------------------------------------------------


@transaction.atomic
def participation_withdraw(
    *, user, participation: Participation, reason: str = ""
) -> Participation:
    """Leave a programme. Records, ledger and pending reviews are kept; deadlines keep running."""
    participation = Participation.objects.select_for_update().get(pk=participation.pk)
    if participation.user_id != user.pk:
        raise NotAllowed("Only the participant can withdraw themselves.")
    return _set_status(
        participation=participation,
        status=Participation.Status.WITHDRAWN,
        reason=reason.strip() or "Withdrew.",
        actor=user,
    )


@transaction.atomic
def participation_remove(*, actor, participation: Participation, reason: str) -> Participation:
    participation = Participation.objects.select_for_update().get(pk=participation.pk)
    policy.require(actor, "manage", participation)
    if not reason.strip():
        raise DomainError("Removing a participant needs a reason they will read.", field="reason")
    return _set_status(
        participation=participation,
        status=Participation.Status.REMOVED,
        reason=reason.strip(),
        actor=actor,
    )


def _set_status(*, participation: Participation, status: str, reason: str, actor) -> Participation:
    old = participation.status
    if status not in Participation.TRANSITIONS[old]:
        raise DomainError(
            f"A participation that is {participation.get_status_display().lower()} cannot become "
            f"{Participation.Status(status).label.lower()}."
        )
    participation.status = status
    participation.status_reason = reason
    participation.status_changed_at = timezone.now()
    participation.save(update_fields=["status", "status_reason", "status_changed_at"])
    record(
        action="participants.participation.status_changed",
        obj=participation,
        actor=actor,
        programme=participation.programme,
        subject=participation.user,
        data={"from": old, "to": status, "reason": reason},
    )
    if actor is None or actor.pk != participation.user_id:
        notify(
            user=participation.user,
            subject=f"Your participation in {participation.programme.name} is now {status}",
            body=f"Reason: {reason}",
            url=reverse("portal:home"),
            dedupe_key=f"participation-status:{participation.pk}:{status}:{participation.status_changed_at.timestamp()}",
            programme=participation.programme,
        )
    return participation


# --- Access pauses ------------------------------------------------------------------------


@transaction.atomic
def pause_start(
    *,
    actor,
    programme: Programme,
    reason: str,
    participation: Participation | None = None,
    expected_end=None,
) -> AccessPause:
    """Pause new work for the whole programme or one participant, with a reason they read."""
    if participation is not None:
        if participation.programme_id != programme.pk:
            raise DomainError("That participant is in another programme.", field="participation")
        policy.require(actor, "manage", participation)
    else:
        policy.require(actor, "manage", programme)
    reason = reason.strip()
    if not reason:
        raise DomainError("A pause needs a reason the participants will read.", field="reason")
    now = timezone.now()
    if expected_end and expected_end <= now:
        raise DomainError("The expected end must be in the future.", field="expected_end")
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if participation is None:
        if active_programme_pause(programme, now):
            raise DomainError("The programme is already paused.")
        affected = list(
            Participation.objects.filter(
                programme=programme, status=Participation.Status.ACTIVE
            ).select_related("user")
        )
    else:
        participation = Participation.objects.select_for_update().get(pk=participation.pk)
        if participation.programme_id != programme.pk:
            raise DomainError("That participant is not in this programme.")
        if participation.status != Participation.Status.ACTIVE:
            raise DomainError("Only an active participant can be paused.")
        affected = [participation]
    pause = AccessPause.objects.create(
        programme=programme,
        participation=participation,
        reason=reason,
        starts_at=now,
        expected_end=expected_end,
        created_by=actor,
        previous_programme_status=programme.status if participation is None else "",
    )
    if participation is None:
        programme.status = Programme.Status.PAUSED
        programme.save(update_fields=["status"])
    else:
        _set_status(
            participation=participation,
            status=Participation.Status.PAUSED,
            reason=reason,
            actor=actor,
        )
    record(
        action="programs.pause.started",
        obj=pause,
        actor=actor,
        programme=programme,
        subject=participation.user if participation else None,
        data={
            "scope": "participant" if participation else "programme",
            "reason": reason,
            "expected_end": expected_end,
        },
    )
    until = f" Expected end: {expected_end:%d %b %Y %H:%M} UTC." if expected_end else ""
    for p in affected:
        notify(
            user=p.user,
            subject=f"Access to {programme.name} is paused",
            body=f"Reason: {reason}.{until} You can still read, withdraw and appeal; "
            "review deadlines keep running.",
            url=reverse("portal:home"),
            dedupe_key=f"pause:{pause.pk}:{p.pk}",
            programme=programme,
        )
    return pause


@transaction.atomic
def pause_end(*, actor, pause: AccessPause) -> AccessPause:
    pause = AccessPause.objects.select_for_update().get(pk=pause.pk)
    policy.require(actor, "manage", pause)
    if pause.ended_at is not None:
        raise DomainError("This pause has already ended.")
    pause.ended_at = timezone.now()
    pause.ended_by = actor
    pause.save(update_fields=["ended_at", "ended_by"])
    programme = pause.programme
    if pause.participation_id is None:
        programme.status = pause.previous_programme_status or Programme.Status.RUNNING
        programme.save(update_fields=["status"])
    else:
        participation = Participation.objects.select_for_update().get(pk=pause.participation_id)
        if participation.status == Participation.Status.PAUSED:
            _set_status(
                participation=participation,
                status=Participation.Status.ACTIVE,
                reason="Pause ended.",
                actor=actor,
            )
    record(
        action="programs.pause.ended",
        obj=pause,
        actor=actor,
        programme=programme,
        subject=pause.participation.user if pause.participation_id else None,
        data={"duration_seconds": int((pause.ended_at - pause.starts_at).total_seconds())},
    )
    return pause


# --- New terms ---------------------------------------------------------------------------


def notify_participants_of_new_terms(terms: TermsVersion, previous: TermsVersion) -> None:
    """Tell the active and paused participants of a new version: what changed, and when."""
    programme = terms.programme
    diff = terms_diff(previous, terms)
    changed = describe_changes(diff)
    if terms.material_change:
        worse = f" Worse for you: {', '.join(diff['worse'])}." if diff["worse"] else ""
        body = (
            f"Version {terms.number} of the terms changes the deal and takes effect on "
            f"{terms.effective_at:%d %b %Y %H:%M} UTC. From then on, accept it before doing "
            f"further work. You may also withdraw.{worse}\n\n"
            f"What changes from version {previous.number}:\n{changed}"
        )
    else:
        body = (
            f"Version {terms.number} of the terms is in force (no material change).\n\n"
            f"What changed from version {previous.number}:\n{changed}"
        )
    for participation in Participation.objects.filter(
        programme=programme,
        status__in=[Participation.Status.ACTIVE, Participation.Status.PAUSED],
    ).select_related("user"):
        notify(
            user=participation.user,
            subject=f"New terms for {programme.name}",
            body=body,
            url=reverse("participants:consent", args=[programme.slug]),
            dedupe_key=f"terms-published:{terms.pk}:{participation.pk}",
            programme=programme,
        )


def on_programme_event(sender, *, programme, event: str, data: dict, **kwargs) -> None:
    """Receiver of `core.events.programme_event`: new terms replacing terms in force."""
    if event != "terms.published":
        return
    terms = TermsVersion.objects.select_related("programme").get(
        programme=programme, number=data["number"]
    )
    # The version the participants worked under when this one was published.
    previous = (
        TermsVersion.objects.published()
        .filter(programme=programme, number__lt=terms.number, effective_at__lte=terms.published_at)
        .order_by("-number")
        .first()
    )
    if previous is not None:
        notify_participants_of_new_terms(terms, previous)


# --- Reminders (beat) ------------------------------------------------------------------------


def _not_yet_sent(keys: list[str]) -> set[str]:
    from core.models import OutboxMessage

    sent = set(
        OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    return {k for k in keys if k not in sent}


def reminders_send(*, now=None, limit: int = 1000) -> dict:
    """Remind, once each, whoever must act and has not:

    - an active participant who has not accepted the terms in force `CONSENT_REMINDER_DAYS`
      after that version took effect (and after they joined): once per terms version;
    - an invitee whose pending invitation expires within `INVITATION_REMINDER_HOURS`, when
      the last mail of it went out before that window began: once per expiry (an extended
      invitation may be reminded again before its new expiry).

    Each reminder is an outbox notification with a key of its own, so a second run, or
    two at once, sends nothing twice; the person sees it in their notifications. Returns
    {"consent": n, "invitation": n} reminders queued by this run.
    """
    from django.conf import settings

    from .selectors import consent_pending

    now = now or timezone.now()
    counts = {"consent": 0, "invitation": 0}

    due = now - timedelta(days=settings.CONSENT_REMINDER_DAYS)
    pending = list(
        consent_pending(
            Participation.objects.filter(status=Participation.Status.ACTIVE, joined_at__lte=due),
            now,
        )
        .filter(required_since__lte=due)
        .select_related("user", "programme")
        .order_by("pk")[:limit]
    )
    keys = {p.pk: f"consent-reminder:{p.required_id}:{p.pk}" for p in pending}
    fresh = _not_yet_sent(list(keys.values()))
    for p in pending:
        if keys[p.pk] not in fresh:
            continue
        programme = p.programme
        notify(
            user=p.user,
            subject=f"Reminder: accept the terms of {programme.name}",
            body=(
                f"Version {p.required_number} of the terms of {programme.name} has been in "
                f"force since {p.required_since:%d %b %Y}, and you have not accepted it yet. "
                "Until you do, you cannot log hours, file tickets or submit outputs there. "
                "Read the key facts and what changed, then accept them or withdraw."
            ),
            url=reverse("participants:consent", args=[programme.slug]),
            dedupe_key=keys[p.pk],
            programme=programme,
        )
        counts["consent"] += 1

    window = timedelta(hours=settings.INVITATION_REMINDER_HOURS)
    expiring = list(
        Invitation.objects.filter(
            status=Invitation.Status.PENDING, expires_at__gt=now, expires_at__lte=now + window
        )
        .select_related("programme")
        .order_by("expires_at")[:limit]
    )
    expiring = [i for i in expiring if (i.last_sent_at or i.created_at) < i.expires_at - window]
    keys = {i.pk: f"invitation-expiring:{i.pk}:{int(i.expires_at.timestamp())}" for i in expiring}
    fresh = _not_yet_sent(list(keys.values()))
    accounts = {
        u.email.lower(): u
        for u in User.objects.filter(email__in=[i.email for i in expiring if keys[i.pk] in fresh])
    }
    for invitation in expiring:
        if keys[invitation.pk] not in fresh:
            continue
        programme = invitation.programme
        sent = invitation.last_sent_at or invitation.created_at
        notify(
            user=accounts.get(invitation.email.lower()),
            email=invitation.email,
            subject=f"Your invitation to {programme.name} expires soon",
            body=(
                f"Your invitation to the early-access programme {programme.name} "
                f"({programme.product}) expires on {invitation.expires_at:%d %b %Y %H:%M} UTC. "
                f"Open the link in the invitation email of {sent:%d %b %Y} "
                "to read the terms and accept or decline; after that date, ask the programme's "
                "managers for a new invitation. The programme's terms are public:"
            ),
            url=programme.get_absolute_url(),
            dedupe_key=keys[invitation.pk],
            programme=programme,
        )
        counts["invitation"] += 1
    return counts
