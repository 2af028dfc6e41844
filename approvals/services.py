"""Every change to an output submission: submit, claim, decide, withdraw, appeal, deadlines.

Each service locks the submission row, checks its status against
`OutputSubmission.TRANSITIONS`, writes an audit event in the same transaction
and queues the notifications through the outbox. Views, the demo and the
periodic task all come through here.
"""

import hashlib
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from audit.services import record
from core.errors import DomainError, NotAllowed
from core.services import notify
from core.text import refuse_control_characters
from core.uploads import IMAGE_TYPES, VIDEO_TYPES, safe_storage_name, sha256_of, validate_upload
from participants.services import require_can_work
from programs import policy, signals
from programs.models import Programme, TermsVersion

from .models import NO_DEADLINE, Appeal, OutputSubmission, ReasonCode, ReviewDecision

Status = OutputSubmission.Status
Outcome = ReviewDecision.Outcome
Stage = ReviewDecision.Stage

# Reviewers are reminded this long before an item falls due.
REMIND_BEFORE = timedelta(hours=12)
# The sweep deems this many items approved per transaction (and statement).
DEEM_CHUNK = 2000
# The reason codes a programme starts with (managers add, retire and extend them).
DEFAULT_REASONS = [
    ("real-person", "Depicts a real person"),
    ("unreleased-feature", "Shows an unreleased feature"),
    ("safety", "Safety concern"),
    ("brand", "Brand or trademark issue"),
    ("confidential", "Reveals confidential information"),
    ("quality", "Not representative of the product"),
]


# --- Helpers ---------------------------------------------------------------------------------


def _locked(submission: OutputSubmission) -> OutputSubmission:
    return OutputSubmission.objects.select_for_update().get(pk=submission.pk)


def _move(submission: OutputSubmission, to: str, *, message: str) -> None:
    """Check that the current status allows `to`, or refuse with `message`."""
    if to not in OutputSubmission.TRANSITIONS[submission.status]:
        raise DomainError(message, code="wrong_status")
    submission.status = to


def _appeal_conflict(user, submission: OutputSubmission) -> str | None:
    """An appeal is never claimed or decided by the reviewer whose decision it appeals."""
    if submission.status != Status.APPEALED:
        return None
    first = submission.decisions.filter(stage=Stage.REVIEW).order_by("pk").first()
    if first is not None and first.reviewer_id == getattr(user, "pk", None):
        return (
            "An appeal must be decided by a different reviewer or a manager than the one "
            "who rejected it."
        )
    return None


def review_refusal(user, submission: OutputSubmission) -> str | None:
    """Why `user` may not claim or decide this item now, or None when they may: the
    policy's rule (a reviewer or manager of its programme, never on their own output),
    and for an appeal, never the reviewer whose decision is appealed."""
    try:
        policy.require(user, "review", submission)
    except NotAllowed as exc:
        return exc.message
    return _appeal_conflict(user, submission)


def _require_review(user, submission: OutputSubmission) -> None:
    policy.require(user, "review", submission)
    conflict = _appeal_conflict(user, submission)
    if conflict:
        raise NotAllowed(conflict)


def _due_from(terms: TermsVersion, start):
    if not terms.review_deadline_hours:
        return None
    return start + timedelta(hours=terms.review_deadline_hours)


def _set_clock(submission: OutputSubmission, due_at) -> None:
    submission.due_at = due_at
    submission.clock_at = due_at or NO_DEADLINE
    submission.reminded_at = None
    submission.escalated_at = None


def _clear_claim(submission: OutputSubmission) -> None:
    submission.claimed_by = None
    submission.claim_expires_at = None


def _notify_participant(submission: OutputSubmission, *, subject: str, body: str, key: str):
    notify(
        user=submission.participant,
        subject=subject,
        body=body,
        url=reverse("approvals:output", args=[submission.pk]),
        dedupe_key=key,
        programme=submission.programme,
    )


def _audit(action: str, submission: OutputSubmission, *, actor=None, **data):
    record(
        action=action,
        obj=submission,
        actor=actor,
        programme=submission.programme,
        subject=submission.participant,
        data={"status": submission.status, **data},
    )


def _write_decision(
    submission: OutputSubmission,
    *,
    stage: str,
    outcome: str,
    reviewer=None,
    reason: ReasonCode | None = None,
    note: str = "",
    now,
) -> ReviewDecision:
    """Record the decision; the unique (submission, stage) constraint is the last guard."""
    try:
        with transaction.atomic():
            decision = ReviewDecision.objects.create(
                submission=submission,
                stage=stage,
                outcome=outcome,
                reviewer=reviewer,
                reason=reason,
                note=note,
                decided_at=now,
            )
    except IntegrityError as exc:
        raise DomainError("This item has already been decided.", code="already_decided") from exc
    submission.decided_at = now
    if decision.is_approval and not submission.verify_token:
        submission.verify_token = OutputSubmission.new_token()
    _clear_claim(submission)
    submission.save()
    _audit(
        "approvals.submission.decided",
        submission,
        actor=reviewer,
        decision=decision.pk,
        stage=stage,
        outcome=outcome,
        reason=reason.code if reason else "",
        terms_version=submission.terms_version.number,
    )
    signal = (
        signals.submission_deemed_approved
        if outcome == Outcome.DEEMED_APPROVED
        else signals.submission_decided
    )
    signal.send(
        OutputSubmission,
        programme=submission.programme,
        payload=signals.SubmissionDecided(
            submission=submission.pk,
            stage=stage,
            outcome=outcome,
            reason=reason.code if reason else "",
            content_hash=submission.content_hash,
            terms_version=submission.terms_version.number,
        ),
    )
    _notify_participant(
        submission,
        subject=f"Decision on “{submission.title}”",
        body=_decision_message(submission, outcome=outcome, reason=reason, note=note, stage=stage),
        key=f"approvals:decided:{decision.pk}",
    )
    return decision


def _decision_message(submission, *, outcome: str, reason, note: str, stage: str) -> str:
    """What the participant reads about a decision on their output."""
    what = {
        Outcome.APPROVED: "was approved. You may share it for the use you gave.",
        Outcome.DEEMED_APPROVED: "is deemed approved: the review deadline in the terms passed "
        "without a decision. You may share it for the use you gave.",
        Outcome.NOT_REQUIRED: "needs no approval for this use under the terms. You may share it.",
        Outcome.REJECTED: "was rejected.",
        Outcome.CHANGES_REQUESTED: "needs changes before it can be approved.",
    }[outcome]
    lines = [f"“{submission.title}” {what}"]
    if reason:
        lines.append(f"Reason: {reason.label}.")
    if note:
        lines.append(f"Note from the reviewer: {note}")
    if stage == Stage.APPEAL:
        lines.append("This was the decision on your appeal; it is final.")
    return "\n".join(lines)


def _missed_note(item) -> str:
    """The note of a deemed approval; `item` is a submission or a `_Due`."""
    if isinstance(item, OutputSubmission):
        hours, number = item.terms_version.review_deadline_hours, item.terms_version.number
    else:
        hours, number = item.deadline_hours, item.terms_number
    return f"No decision within the {hours} hours that terms version {number} promise."


# --- Submitting ---------------------------------------------------------------------------


def _check_content(upload, url: str) -> tuple[str, str, str]:
    """(normalised url, detected type, sha256) — exactly one of a file or a URL."""
    url = (url or "").strip()
    if bool(upload) == bool(url):
        raise DomainError("Give either a file or a URL (exactly one of the two).", field="file")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError as exc:
            raise DomainError(
                "Enter a full web address starting with https://.", field="url"
            ) from exc
        return url, "", hashlib.sha256(url.encode()).hexdigest()
    try:
        mime = validate_upload(upload, allowed=IMAGE_TYPES | VIDEO_TYPES)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code=exc.code or "bad_file", field="file") from exc
    return "", mime, sha256_of(upload)


@transaction.atomic
def submission_create(
    *,
    user,
    programme: Programme,
    title: str,
    intended_use: str,
    prompt: str = "",
    intended_venue: str = "",
    intended_date=None,
    upload=None,
    url: str = "",
    previous: OutputSubmission | None = None,
) -> OutputSubmission:
    """Submit an output for share approval under the terms in force now.

    When those terms need no approval for the intended use, the output is
    approved at once and the reason is recorded.
    """
    title = (title or "").strip()
    if not title:
        raise DomainError("Give the output a title.", field="title")
    refuse_control_characters(title, field="title", what="title")
    if intended_use not in OutputSubmission.IntendedUse.values:
        raise DomainError("Choose an intended use from the list.", field="intended_use")
    url, mime, content_hash = _check_content(upload, url)
    access = require_can_work(user, programme)
    terms = access.terms
    now = timezone.now()
    submission = OutputSubmission(
        programme=programme,
        participant=user,
        terms_version=terms,
        previous=previous,
        version=(previous.version + 1) if previous else 1,
        title=title,
        prompt=(prompt or "").strip(),
        url=url,
        file_type=mime,
        content_hash=content_hash,
        intended_use=intended_use,
        intended_venue=(intended_venue or "").strip(),
        intended_date=intended_date,
        submitted_at=now,
    )
    required = terms.requires_approval(public=submission.is_public_use)
    _set_clock(submission, _due_from(terms, now) if required else None)
    if upload:
        # Stored under a generated name, only after every check has passed.
        submission.file.name = default_storage.save(safe_storage_name("outputs", mime), upload)
    submission.save()
    _audit(
        "approvals.submission.submitted",
        submission,
        actor=user,
        content_hash=content_hash,
        kind="file" if upload else "url",
        intended_use=intended_use,
        terms_version=terms.number,
        due_at=submission.due_at,
        previous=previous.pk if previous else None,
    )
    if not required:
        submission.status = Status.APPROVED
        _write_decision(
            submission,
            stage=Stage.AUTOMATIC,
            outcome=Outcome.NOT_REQUIRED,
            note=f"Terms version {terms.number} ({terms.get_approval_scope_display().lower()}) "
            f"require no approval for “{submission.get_intended_use_display()}”.",
            now=now,
        )
    return submission


@transaction.atomic
def submission_resubmit(*, user, previous: OutputSubmission, **fields) -> OutputSubmission:
    """A new version after "changes requested"; the old one stays on record, linked."""
    previous = _locked(previous)
    if previous.participant_id != user.pk:
        raise NotAllowed("Only the participant who submitted this output can resubmit it.")
    _move(
        previous,
        Status.RESUBMITTED,
        message="Only an output with changes requested can be resubmitted.",
    )
    new = submission_create(user=user, programme=previous.programme, previous=previous, **fields)
    previous.save(update_fields=["status"])
    _audit("approvals.submission.resubmitted", previous, actor=user, new_version=new.pk)
    return new


@transaction.atomic
def submission_withdraw(*, user, submission: OutputSubmission) -> OutputSubmission:
    """The participant takes back a pending submission (allowed during a pause too)."""
    submission = _locked(submission)
    if submission.participant_id != user.pk:
        raise NotAllowed("Only the participant who submitted this output can withdraw it.")
    _move(submission, Status.WITHDRAWN, message="Only a pending submission can be withdrawn.")
    _clear_claim(submission)
    submission.save()
    _audit("approvals.submission.withdrawn", submission, actor=user)
    return submission


# --- Reviewing --------------------------------------------------------------------------


@transaction.atomic
def submission_claim(*, reviewer, submission: OutputSubmission) -> OutputSubmission:
    """Take an item for `REVIEW_CLAIM_MINUTES` so that no other reviewer works on it meanwhile."""
    submission = _locked(submission)
    _require_review(reviewer, submission)
    now = timezone.now()
    if submission.status not in OutputSubmission.OPEN:
        raise DomainError("This item is no longer waiting for review.", code="wrong_status")
    if submission.claim_active(now) and submission.claimed_by_id != reviewer.pk:
        raise DomainError(
            f"{submission.claimed_by.email} is reviewing this item until "
            f"{submission.claim_expires_at:%H:%M} UTC.",
            code="claimed",
        )
    if submission.status == Status.PENDING:
        _move(submission, Status.IN_REVIEW, message="This item cannot be claimed now.")
    submission.claimed_by = reviewer
    submission.claim_expires_at = now + timedelta(minutes=settings.REVIEW_CLAIM_MINUTES)
    submission.save()
    _audit(
        "approvals.submission.claimed",
        submission,
        actor=reviewer,
        until=submission.claim_expires_at,
    )
    return submission


@transaction.atomic
def submission_release(*, submission: OutputSubmission, actor=None) -> OutputSubmission:
    """Give a claimed item back to the queue (by the reviewer, or the sweep once it expired)."""
    submission = _locked(submission)
    now = timezone.now()
    if actor is not None:
        policy.require(actor, "review", submission)
        if submission.claim_active(now) and submission.claimed_by_id != actor.pk:
            raise NotAllowed("Only the reviewer who claimed this item can release it.")
    elif submission.claim_active(now):
        return submission
    if not submission.claimed_by_id:
        raise DomainError("This item is not claimed.", code="not_claimed")
    if submission.status == Status.IN_REVIEW:
        _move(submission, Status.PENDING, message="This item cannot be released now.")
    _clear_claim(submission)
    submission.save()
    _audit("approvals.submission.released", submission, actor=actor, expired=actor is None)
    return submission


@transaction.atomic
def submission_decide(
    *,
    submission: OutputSubmission,
    reviewer,
    outcome: str,
    reason: ReasonCode | None = None,
    note: str = "",
) -> ReviewDecision:
    """A reviewer approves, rejects or requests changes (or decides an appeal, finally).

    Anything but an approval needs a reason code from the programme's list. An
    appeal is decided by someone other than the reviewer who rejected.
    """
    submission = _locked(submission)
    _require_review(reviewer, submission)
    note = (note or "").strip()
    now = timezone.now()
    appeal = submission.status == Status.APPEALED
    allowed = ReviewDecision.APPEAL_OUTCOMES if appeal else ReviewDecision.REVIEWER_OUTCOMES
    if outcome not in allowed:
        raise DomainError(
            "An appeal is either approved or the rejection stands."
            if appeal
            else "Choose approve, reject or request changes.",
            field="outcome",
        )
    if submission.status not in OutputSubmission.OPEN:
        raise DomainError(
            f"This item has already been decided ({submission.get_status_display().lower()}).",
            code="already_decided",
        )
    if submission.claim_active(now) and submission.claimed_by_id != reviewer.pk:
        raise DomainError(
            f"{submission.claimed_by.email} has claimed this item until "
            f"{submission.claim_expires_at:%H:%M} UTC.",
            code="claimed",
        )
    if outcome != Outcome.APPROVED and reason is None:
        raise DomainError(
            "Choose a reason: it is required for anything but an approval.", field="reason"
        )
    if reason is not None and (reason.programme_id != submission.programme_id or not reason.active):
        raise DomainError("Choose a reason from this programme's list.", field="reason")
    _move(submission, outcome, message="This decision is not possible now.")
    return _write_decision(
        submission,
        stage=Stage.APPEAL if appeal else Stage.REVIEW,
        outcome=outcome,
        reviewer=reviewer,
        reason=reason,
        note=note,
        now=now,
    )


def submissions_bulk_approve(*, reviewer, submissions) -> tuple[int, list[str]]:
    """Approve each item on its own (one transaction each); returns (approved, problems)."""
    approved, problems = 0, []
    for submission in submissions:
        try:
            submission_decide(submission=submission, reviewer=reviewer, outcome=Outcome.APPROVED)
            approved += 1
        except DomainError as exc:
            problems.append(f"“{submission.title}”: {exc.message}")
    return approved, problems


# --- Appeals ---------------------------------------------------------------------------------


@transaction.atomic
def submission_appeal(*, user, submission: OutputSubmission, note: str) -> Appeal:
    """Appeal a rejection once, when the terms allow it; a different reviewer decides."""
    submission = _locked(submission)
    if submission.participant_id != user.pk:
        raise NotAllowed("Only the participant who submitted this output can appeal.")
    note = (note or "").strip()
    if not note:
        raise DomainError("Say why the decision should change.", field="note")
    if not submission.terms_version.appeals_allowed:
        raise DomainError(
            f"Terms version {submission.terms_version.number} do not allow appeals.",
            code="no_appeals",
        )
    if Appeal.objects.filter(submission=submission).exists():
        raise DomainError("A rejection can be appealed once; the appeal was decided.")
    _move(submission, Status.APPEALED, message="Only a rejected output can be appealed.")
    now = timezone.now()
    appeal = Appeal.objects.create(submission=submission, note=note, filed_at=now)
    _set_clock(submission, _due_from(submission.terms_version, now))
    _clear_claim(submission)
    submission.save()
    _audit("approvals.submission.appealed", submission, actor=user, appeal=appeal.pk)
    rejected_by = (
        ReviewDecision.objects.filter(submission=submission, outcome=Outcome.REJECTED)
        .order_by("-decided_at")
        .values_list("reviewer_id", flat=True)
        .first()
    )
    due = f" Decide it by {submission.due_at:%d %b %Y %H:%M} UTC." if submission.due_at else ""
    # Everyone who may decide the appeal hears of it: the programme's reviewers and
    # managers, except the reviewer whose rejection is appealed and the participant.
    for person in policy.staff_of(submission.programme, policy.REVIEW):
        if person.pk in (rejected_by, user.pk):
            continue
        notify(
            user=person,
            subject=f"Appeal to decide: “{submission.title}”",
            body=f"{user.get_full_name() or user.email} appealed the rejection of "
            f"“{submission.title}” in {submission.programme.name}.{due}",
            url=reverse("approvals:detail", args=[submission.pk]),
            dedupe_key=f"approvals:appealed:{submission.pk}:{person.pk}",
            programme=submission.programme,
        )
    return appeal


# --- Deadlines -----------------------------------------------------------------------------


@transaction.atomic
def submission_deem_approved(*, submission: OutputSubmission, now=None) -> ReviewDecision | None:
    """The terms' deadline passed without a decision, and they say: deemed approved."""
    now = now or timezone.now()
    submission = _locked(submission)
    terms = submission.terms_version
    if (
        submission.status not in (Status.PENDING, Status.IN_REVIEW)
        or submission.due_at is None
        or submission.due_at > now
        or terms.on_missed_deadline != TermsVersion.OnMissedDeadline.DEEMED_APPROVED
    ):
        return None  # decided meanwhile, or not due: running twice changes nothing
    submission.status = Status.DEEMED_APPROVED
    return _write_decision(
        submission,
        stage=Stage.REVIEW,
        outcome=Outcome.DEEMED_APPROVED,
        note=_missed_note(submission),
        now=now,
    )


class _Due(NamedTuple):
    """An item `submissions_deem_approved` decides: the columns it needs, no model."""

    pk: int
    title: str
    content_hash: str
    verify_token: str | None
    participant_id: int
    email: str
    programme_id: int
    terms_number: int
    deadline_hours: int

    @property
    def note(self) -> str:
        return _missed_note(self)


@transaction.atomic
def submissions_deem_approved(*, now=None, limit: int = DEEM_CHUNK) -> int:
    """Up to `limit` items past their deadline under terms that say "deemed approved",
    deemed approved at once: what `submission_deem_approved` does for one, set-based.

    Each still gets its decision, its certificate link, its audit event (appended to the
    chain in order, `audit.services.record_many`), the participant's notification and the
    webhook event. The rows are locked with `SKIP LOCKED`: an item a reviewer is deciding
    right now is left to them (and to the next sweep, should they not decide it); a reviewer
    who comes later finds it decided. Returns how many were deemed approved.
    """
    from audit.services import Entry, record_many
    from core.db import insert_rows, update_rows
    from core.services import notify_many

    now = now or timezone.now()
    rows = list(
        OutputSubmission.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status__in=(Status.PENDING, Status.IN_REVIEW),
            due_at__lte=now,
            terms_version__on_missed_deadline=TermsVersion.OnMissedDeadline.DEEMED_APPROVED,
        )
        .order_by("due_at", "pk")
        .values_list(
            "pk",
            "title",
            "content_hash",
            "verify_token",
            "participant_id",
            "participant__email",
            "programme_id",
            "terms_version__number",
            "terms_version__review_deadline_hours",
        )[:limit]
    )
    if not rows:
        return 0
    stage, outcome = Stage.REVIEW, Outcome.DEEMED_APPROVED
    items = [_Due(*row) for row in rows]
    decision_ids = insert_rows(
        ReviewDecision,
        ["submission", "stage", "outcome", "note", "decided_at"],
        [(s.pk, stage, outcome, s.note, now) for s in items],
    )
    update_rows(
        OutputSubmission,
        ["verify_token"],
        [(s.pk, s.verify_token or OutputSubmission.new_token()) for s in items],
        status=Status.DEEMED_APPROVED,
        decided_at=now,
        claimed_by=None,
        claim_expires_at=None,
    )
    record_many(
        [
            Entry(
                action="approvals.submission.decided",
                object_type=OutputSubmission._meta.label_lower,
                object_id=str(s.pk),
                programme_id=s.programme_id,
                subject_id=s.participant_id,
                data={
                    "status": Status.DEEMED_APPROVED,
                    "decision": decision,
                    "stage": stage,
                    "outcome": outcome,
                    "reason": "",
                    "terms_version": s.terms_number,
                },
            )
            for s, decision in zip(items, decision_ids, strict=True)
        ]
    )
    url = reverse("approvals:output", args=[0]).replace("/0/", "/{}/")
    by_programme: dict = {}
    for s, decision in zip(items, decision_ids, strict=True):
        by_programme.setdefault(s.programme_id, []).append((s, decision))
    programmes = Programme.objects.in_bulk(list(by_programme))
    for programme_id, pairs in by_programme.items():
        programme = programmes[programme_id]
        signals.submission_deemed_approved.send_many(
            OutputSubmission,
            programme=programme,
            payloads=[
                signals.SubmissionDecided(
                    submission=s.pk,
                    stage=stage,
                    outcome=outcome,
                    reason="",
                    content_hash=s.content_hash,
                    terms_version=s.terms_number,
                )
                for s, _ in pairs
            ],
        )
        notify_many(
            [
                {
                    "recipient_id": s.participant_id,
                    "to_email": s.email,
                    "subject": f"Decision on “{s.title}”",
                    "body": _decision_message(
                        s, outcome=outcome, reason=None, note=s.note, stage=stage
                    ),
                    "url": url.format(s.pk),
                    "dedupe_key": f"approvals:decided:{decision}",
                }
                for s, decision in pairs
            ],
            programme=programme,
        )
    return len(items)


@transaction.atomic
def submission_escalate(*, submission: OutputSubmission, now=None) -> bool:
    """Past due and not deemed approved: tell every manager of the programme, once."""
    now = now or timezone.now()
    submission = _locked(submission)
    if (
        submission.status not in OutputSubmission.OPEN
        or submission.due_at is None
        or submission.due_at > now
        or submission.escalated_at is not None
    ):
        return False
    submission.escalated_at = now
    submission.save(update_fields=["escalated_at"])
    managers = list(policy.staff_of(submission.programme, policy.MANAGE))
    _audit(
        "approvals.submission.escalated",
        submission,
        round=submission.round,
        due_at=submission.due_at,
        managers=[m.pk for m in managers],
    )
    for manager in managers:
        notify(
            user=manager,
            subject=f"Review deadline missed: “{submission.title}”",
            body=f"The {submission.round} of “{submission.title}” in {submission.programme.name} "
            f"was due {submission.due_at:%d %b %Y %H:%M} UTC and is still open.",
            url=reverse("approvals:detail", args=[submission.pk]),
            dedupe_key=f"approvals:escalated:{submission.pk}:{submission.round}:{manager.pk}",
            programme=submission.programme,
        )
    _notify_participant(
        submission,
        subject=f"Your output “{submission.title}” was escalated",
        body=f"The review deadline of the {submission.round} of “{submission.title}” passed "
        f"on {submission.due_at:%d %b %Y %H:%M} UTC without a decision, so it went to the "
        f"managers of {submission.programme.name}. Nothing is needed from you.",
        key=f"approvals:escalated-participant:{submission.pk}:{submission.round}",
    )
    return True


@transaction.atomic
def submission_remind(*, submission: OutputSubmission, now=None) -> bool:
    """Before an item falls due, remind its claimer (or else every reviewer), once per round."""
    now = now or timezone.now()
    submission = _locked(submission)
    if (
        submission.status not in OutputSubmission.OPEN
        or submission.due_at is None
        or submission.due_at <= now
        or submission.due_at > now + REMIND_BEFORE
        or submission.reminded_at is not None
    ):
        return False
    submission.reminded_at = now
    submission.save(update_fields=["reminded_at"])
    if submission.claim_active(now):
        people = [submission.claimed_by]
    else:
        people = list(policy.staff_of(submission.programme, {policy.REVIEWER}))
    _audit(
        "approvals.submission.reminded",
        submission,
        round=submission.round,
        due_at=submission.due_at,
        reviewers=[p.pk for p in people],
    )
    for person in people:
        notify(
            user=person,
            subject=f"Due soon: “{submission.title}”",
            body=f"The review of “{submission.title}” in {submission.programme.name} is due "
            f"{submission.due_at:%d %b %Y %H:%M} UTC.",
            url=reverse("approvals:detail", args=[submission.pk]),
            dedupe_key=f"approvals:reminder:{submission.pk}:{submission.round}:{person.pk}",
            programme=submission.programme,
        )
    return True


def deadlines_sweep(*, now=None, limit: int = 1000) -> dict:
    """Apply the terms to every item past due, and remind before items fall due.

    Items to deem approved go a chunk at a time (`submissions_deem_approved`, one
    transaction each); the rest one item per transaction. Every service re-checks its
    items under lock, so the sweep is safe to run twice or on two machines at once.
    Deadlines run whatever the participant's or the programme's access status.
    An appeal past due is escalated, never deemed approved: a reasoned
    rejection stands until a second person has looked at it.
    """
    now = now or timezone.now()
    counts = {"deemed_approved": 0, "escalated": 0, "reminded": 0, "released": 0}
    # Deemed approvals, set-based a chunk per transaction, until none is left.
    while deemed := submissions_deem_approved(now=now, limit=DEEM_CHUNK):
        counts["deemed_approved"] += deemed
    open_items = OutputSubmission.objects.filter(status__in=OutputSubmission.OPEN)
    # The rest past due is escalated: appeals, and items under terms that say "escalate". An
    # item to deem approved that a reviewer held locked just now is left to the next sweep.
    overdue = (
        open_items.filter(due_at__lte=now, escalated_at__isnull=True)
        .exclude(
            status__in=(Status.PENDING, Status.IN_REVIEW),
            terms_version__on_missed_deadline=TermsVersion.OnMissedDeadline.DEEMED_APPROVED,
        )
        .order_by("due_at")[:limit]
    )
    for submission in list(overdue):
        counts["escalated"] += submission_escalate(submission=submission, now=now)
    due_soon = open_items.filter(
        due_at__gt=now, due_at__lte=now + REMIND_BEFORE, reminded_at__isnull=True
    ).order_by("due_at")[:limit]
    for submission in list(due_soon):
        counts["reminded"] += submission_remind(submission=submission, now=now)
    expired = open_items.filter(claim_expires_at__lte=timezone.now())[:limit]
    for submission in list(expired):
        try:
            submission_release(submission=submission)
            counts["released"] += 1
        except DomainError:
            pass  # released or re-claimed meanwhile
    return counts


# --- Reason codes ------------------------------------------------------------------------


@transaction.atomic
def reason_code_create(*, actor, programme: Programme, label: str, code: str = "") -> ReasonCode:
    """Add a reason reviewers may give; its code is made from the label if not given."""
    policy.require(actor, "manage", programme)
    label = (label or "").strip()
    if not label:
        raise DomainError(
            "Give the reason a label reviewers and participants understand.", field="label"
        )
    refuse_control_characters(label, field="label", what="reason label")
    code = slugify(code or label)[:40]
    if not code:
        raise DomainError("The code needs letters or digits.", field="code")
    if ReasonCode.objects.filter(programme=programme, code=code).exists():
        raise DomainError(f"The code “{code}” is already in the list.", field="code")
    reason = ReasonCode.objects.create(programme=programme, code=code, label=label[:120])
    record(
        action="approvals.reason.created",
        obj=reason,
        actor=actor,
        programme=programme,
        data={"code": code, "label": reason.label},
    )
    return reason


@transaction.atomic
def reason_code_set_active(*, actor, reason: ReasonCode, active: bool) -> ReasonCode:
    """Retire a reason (or bring it back); past decisions keep pointing at it."""
    reason = ReasonCode.objects.select_for_update().get(pk=reason.pk)
    policy.require(actor, "manage", reason)
    if reason.active == active:
        return reason
    reason.active = active
    reason.save(update_fields=["active"])
    record(
        action="approvals.reason.updated",
        obj=reason,
        actor=actor,
        programme=reason.programme,
        data={"code": reason.code, "active": active},
    )
    return reason


@transaction.atomic
def reason_codes_add_defaults(*, actor, programme: Programme) -> list[ReasonCode]:
    """Add the standard reasons a programme lacks (safe to run twice)."""
    policy.require(actor, "manage", programme)
    return _add_default_reasons(programme=programme, actor=actor)


def _add_default_reasons(*, programme: Programme, actor) -> list[ReasonCode]:
    existing = set(ReasonCode.objects.filter(programme=programme).values_list("code", flat=True))
    added = []
    for code, label in DEFAULT_REASONS:
        if code in existing:
            continue
        reason = ReasonCode.objects.create(programme=programme, code=code, label=label)
        record(
            action="approvals.reason.created",
            obj=reason,
            actor=actor,
            programme=programme,
            data={"code": code, "label": label, "default": True},
        )
        added.append(reason)
    return added


def on_programme_created(sender, *, programme, payload, **kwargs) -> None:
    """Receiver of `programs.signals.programme_created`: a new programme starts with the
    standard reason codes, so its reviewers can give a reason from the first day."""
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=payload.actor_id).first()
    _add_default_reasons(programme=programme, actor=actor)
