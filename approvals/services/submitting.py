"""Submitting an output for share approval, resubmitting after changes were requested, and
withdrawing it. An output that the terms in force need no approval for is approved at
once, with the reason recorded."""

import hashlib

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError, NotAllowed
from core.l10n import english
from core.text import refuse_control_characters
from core.uploads import IMAGE_TYPES, VIDEO_TYPES, safe_storage_name, sha256_of, validate_upload
from participants.services import require_can_work
from programs.models import Programme

from ..models import OutputSubmission
from .workflow import (
    Outcome,
    Stage,
    Status,
    _audit,
    _clear_claim,
    _due_from,
    _locked,
    _move,
    _set_clock,
    _write_decision,
)


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
    actor,
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
    access = require_can_work(actor, programme)
    terms = access.terms
    now = timezone.now()
    submission = OutputSubmission(
        programme=programme,
        participant=actor,
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
        actor=actor,
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
            note=f"Terms version {terms.number} "
            f"({english(terms.get_approval_scope_display).lower()}) "
            f"require no approval for “{english(submission.get_intended_use_display)}”.",
            now=now,
        )
    return submission


@transaction.atomic
def submission_resubmit(*, actor, previous: OutputSubmission, **fields) -> OutputSubmission:
    """A new version after "changes requested"; the old one stays on record, linked."""
    previous = _locked(previous)
    if previous.participant_id != actor.pk:
        raise NotAllowed("Only the participant who submitted this output can resubmit it.")
    _move(
        previous,
        Status.RESUBMITTED,
        message="Only an output with changes requested can be resubmitted.",
    )
    new = submission_create(actor=actor, programme=previous.programme, previous=previous, **fields)
    previous.save(update_fields=["status"])
    _audit("approvals.submission.resubmitted", previous, actor=actor, new_version=new.pk)
    return new


@transaction.atomic
def submission_withdraw(*, actor, submission: OutputSubmission) -> OutputSubmission:
    """The participant takes back a pending submission (allowed during a pause too)."""
    submission = _locked(submission)
    if submission.participant_id != actor.pk:
        raise NotAllowed("Only the participant who submitted this output can withdraw it.")
    _move(submission, Status.WITHDRAWN, message="Only a pending submission can be withdrawn.")
    _clear_claim(submission)
    submission.save()
    _audit("approvals.submission.withdrawn", submission, actor=actor)
    return submission
