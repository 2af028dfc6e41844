"""Every change of provenance's records: registry entries opened on approval and kept current,
credentials signed (in the worker) and superseded, training checks counted.

Approvals, training choices and consents announce themselves through their named signals
(`programs.signals`; the receivers below are connected in ProvenanceConfig.ready); they run in the
announcing service's transaction, so an entry exists if and only if the approval does, and a
withdrawal of training use is in the registry and the training check the moment it commits.
Signing a file is slow I/O: it happens in the worker (`tasks.sign_credential`, queued after
commit, and the beat sweep `tasks.sign_pending` for what a broker outage dropped), never in
the request and never under a row lock.
"""

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

import c2pa
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from approvals.models import OutputSubmission, ReviewDecision
from audit.services import record
from core.services import enqueue_after_commit
from programs.models import Programme, TermsVersion
from publicity.models import PromotionalUse
from publicity.selectors import accepted_terms

from . import credentials, permissions
from .models import ConsentEntry, Credential, KnownHash, PermissionChange, TrainingCheckTally
from .tasks import open_entries, sign_credentials

log = logging.getLogger(__name__)

Outcome = ReviewDecision.Outcome
APPROVING = (Outcome.APPROVED, Outcome.DEEMED_APPROVED, Outcome.NOT_REQUIRED)
WITHHELD = "withheld"
# A pending credential older than this is signed by the beat sweep (its task was lost).
PENDING_GRACE = timedelta(minutes=2)


# --- Receiving events ----------------------------------------------------------------------


def on_submission_decided(sender, *, programme, payload, batch: dict | None = None, **kwargs):
    """Receiver of `submission_decided` and `submission_deemed_approved`: an approval opens
    the output's registry entry (a sweep's many, in the worker after it commits)."""
    if payload.outcome not in APPROVING:
        return
    if batch is None:
        entry_open(submission_id=payload.submission)
    else:
        _queue_opening(payload.submission, batch)


def on_tester_choice(sender, *, programme, payload, **kwargs) -> None:
    """Receiver of `training_chosen` and `consent_accepted`: a training choice or a consent to
    new terms may change the permission of the tester's outputs."""
    entries_refresh(programme=programme, participant_id=payload.participant)


def _queue_signing(credential_ids: list[int]) -> None:
    """Sign after commit, in the worker."""

    enqueue_after_commit(sign_credentials, credential_ids)


def _queue_opening(submission_id: int, batch: dict) -> None:
    """A sweep's deemed approvals (`publish_many`): their entries are opened by the worker
    after the sweep commits, one task per batch, so the set-based sweep stays set-based;
    `entries_open_missing` (beat) opens any a lost task left."""

    pending = batch.get("provenance.open")
    if pending is None:
        pending = batch["provenance.open"] = []
        enqueue_after_commit(open_entries, pending)
    pending.append(submission_id)


def credit_for(submission: OutputSubmission, terms: TermsVersion | None) -> str:
    """The author as the tester is credited, or "withheld".

    There is no credit-name setting per tester yet: the credit line of a promotional use the
    tester accepted (or the terms included) for this output names them as they agreed;
    otherwise terms that promise credit with the tester's name credit their full name; in
    every other case the name is withheld.
    """
    line = (
        PromotionalUse.objects.filter(submission=submission, status__in=PromotionalUse.IN_USE)
        .exclude(credit_line="")
        .order_by("-answered_at", "-pk")
        .values_list("credit_line", flat=True)
        .first()
    )
    if line:
        return line[:200]
    if terms is not None and terms.promotion_credit == TermsVersion.PromotionCredit.NAMED:
        return (submission.participant.get_full_name() or WITHHELD)[:200]
    return WITHHELD


def _new_credential(entry: ConsentEntry, now) -> Credential | None:
    """A credential to sign for a file entry (recorded as unsupported for a type c2pa cannot
    carry); None for a link."""
    if entry.kind != ConsentEntry.Kind.FILE:
        return None
    supported = credentials.signable(entry.media_type)
    return Credential.objects.create(
        entry=entry,
        training_allowed=entry.training_allowed,
        created_at=now,
        status=Credential.Status.PENDING if supported else Credential.Status.UNSUPPORTED,
        error="" if supported else f"{entry.media_type} cannot carry a C2PA manifest.",
    )


def entry_open(*, submission_id: int) -> ConsentEntry | None:
    """The registry entry of a newly approved output, with its first permission and a
    credential queued for signing. Safe to run twice (the second run changes nothing):
    in the approval's transaction, or in the worker for a sweep's approvals."""
    submission = (
        OutputSubmission.objects.select_related("programme", "participant", "terms_version")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or not submission.is_approved:
        return None
    existing = ConsentEntry.objects.filter(submission=submission).first()
    if existing is not None:
        return existing
    programme = submission.programme
    now = timezone.now()
    decision = (
        submission.decisions.filter(outcome__in=APPROVING).order_by("-decided_at", "-pk").first()
    )
    permission = permissions.for_person(submission.participant_id, programme)(submission)
    size = None
    if submission.file:
        try:
            size = submission.file.size
        except (OSError, ValueError):
            size = None
    entry = ConsentEntry.objects.create(
        programme=programme,
        submission=submission,
        participant_id=submission.participant_id,
        sha256=submission.content_hash,
        kind=ConsentEntry.Kind.FILE if submission.file else ConsentEntry.Kind.URL,
        media_type=submission.file_type,
        size=size,
        decision=decision.outcome if decision else submission.status,
        decided_at=decision.decided_at if decision else (submission.decided_at or now),
        deemed=submission.status == OutputSubmission.Status.DEEMED_APPROVED,
        credit=credit_for(submission, accepted_terms(submission.participant, programme)),
        training_allowed=permission.allowed,
        consent=permission.consent,
        since=now,
        updated_at=now,
    )
    PermissionChange.objects.create(
        entry=entry, training_allowed=permission.allowed, at=now, consent=permission.consent
    )
    KnownHash.objects.create(programme=programme, sha256=entry.sha256, entry=entry)
    credential = _new_credential(entry, now)
    if credential is not None and credential.status == Credential.Status.PENDING:
        _queue_signing([credential.pk])
    return entry


def entries_open(*, submission_ids: list[int]) -> int:
    """Open the entries of approved outputs (the worker), each in its own transaction; one
    opened meanwhile by another worker or the sweep is skipped."""
    opened = 0
    for submission_id in submission_ids:
        try:
            with transaction.atomic():
                opened += entry_open(submission_id=submission_id) is not None
        except IntegrityError:
            continue
    return opened


def entries_open_missing(*, limit: int = 200) -> int:
    """Beat: approved outputs without an entry (a lost task, or approved before the
    registry existed) get theirs, oldest first."""
    ids = list(
        OutputSubmission.objects.filter(
            status__in=OutputSubmission.APPROVED_STATES, consent_entry__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return entries_open(submission_ids=ids)


def entries_refresh(*, programme: Programme, participant_id: int) -> int:
    """Bring one tester's entries in one programme up to date with their choices and terms.

    A changed permission is appended (from now on: a withdrawal never reaches back), the
    current credential is superseded and a new one queued, so new downloads carry the new
    manifest. Returns how many entries changed.
    """
    entries = list(
        ConsentEntry.objects.select_for_update()
        .filter(programme=programme, participant_id=participant_id)
        .select_related("submission")
        .order_by("pk")
    )
    if not entries:
        return 0
    permission_of = permissions.for_person(participant_id, programme)
    now = timezone.now()
    changed, to_sign = 0, []
    for entry in entries:
        permission = permission_of(entry.submission)
        if permission.allowed == entry.training_allowed:
            if permission.consent != entry.consent:  # same answer, newer grounds
                entry.consent = permission.consent
                entry.updated_at = now
                entry.save(update_fields=["consent", "updated_at"])
            continue
        changed += 1
        entry.training_allowed = permission.allowed
        entry.consent = permission.consent
        entry.since = entry.updated_at = now
        entry.save(update_fields=["training_allowed", "consent", "since", "updated_at"])
        PermissionChange.objects.create(
            entry=entry, training_allowed=permission.allowed, at=now, consent=permission.consent
        )
        entry.credentials.filter(superseded_at__isnull=True).update(superseded_at=now)
        credential = _new_credential(entry, now)
        if credential is not None and credential.status == Credential.Status.PENDING:
            to_sign.append(credential.pk)
        record(
            action="provenance.permission.changed",
            obj=entry,
            programme=programme,
            subject=entry.participant,
            data={
                "submission": entry.submission_id,
                "training_allowed": permission.allowed,
                "consent": permission.consent,
            },
        )
    if to_sign:
        _queue_signing(to_sign)
    return changed


# --- Signing (the worker) ------------------------------------------------------------------


def _definition(credential: Credential) -> dict:
    entry = credential.entry
    submission = entry.submission
    programme = entry.programme
    terms = submission.terms_version
    site = settings.SITE_URL
    return credentials.manifest(
        title=submission.title,
        author=entry.credit,
        training=permissions.cawg_entries(credential.training_allowed, programme),
        consent={
            "programme": {
                "name": programme.name,
                "product": programme.product,
                "page": site + programme.get_absolute_url(),
            },
            "terms": {
                "version": terms.number,
                "sha256": terms.content_hash,
                "page": site + terms.get_absolute_url(),
            },
            "approval": {
                "decision": entry.decision,
                "decided_at": entry.decided_at.isoformat(),
                "deemed": entry.deemed,
            },
            "proof": site + reverse("approvals:verify", args=[submission.verify_token]),
            "content_sha256": entry.sha256,
            "training_allowed": credential.training_allowed,
            "consent": entry.consent,
            "registry": site + reverse("provenance:registry", args=[programme.slug]),
            "credential": str(credential.uid),
        },
    )


def credential_sign(*, credential_id: int) -> str:
    """Sign one pending credential into a copy of its output's file; safe to run twice.

    The slow part (copying the file, signing, reading it back, storing the copy) runs
    outside any transaction; the result lands under a lock only if the credential is
    still pending, so two workers given the same id store one copy between them.
    """
    credential = (
        Credential.objects.select_related(
            "entry__submission__terms_version", "entry__programme", "entry__participant"
        )
        .filter(pk=credential_id)
        .first()
    )
    if credential is None or credential.status != Credential.Status.PENDING:
        return "skipped"
    if credential.superseded_at is not None:
        Credential.objects.filter(pk=credential.pk, status=Credential.Status.PENDING).update(
            status=Credential.Status.SKIPPED
        )
        return "skipped"
    entry = credential.entry
    with tempfile.TemporaryDirectory() as folder:
        source_path, signed_path = Path(folder) / "source", Path(folder) / "signed"
        try:
            with entry.submission.file.open("rb") as source, open(source_path, "wb") as out:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    out.write(chunk)
            with open(source_path, "rb") as source, open(signed_path, "w+b") as dest:
                credentials.sign(
                    source=source,
                    media_type=entry.media_type,
                    definition=_definition(credential),
                    dest=dest,
                )
            with open(signed_path, "rb") as signed:
                reading = credentials.read(signed, entry.media_type)
            if not reading.ok:
                raise c2pa.C2paError(
                    f"the signed copy does not validate: {reading.failures or reading.error}"
                )
        except (c2pa.C2paError, OSError, credentials.SigningNotConfigured) as exc:
            log.warning("Credential %s could not be signed: %s", credential.pk, exc)
            return _finish_failed(credential, str(exc))
        signed_sha256 = credentials.sha256_file(signed_path)
        name = f"credentials/{credential.uid.hex}{Path(entry.submission.file.name).suffix}"
        with open(signed_path, "rb") as signed:
            name = default_storage.save(name, File(signed))
        size = signed_path.stat().st_size
    return _finish_signed(credential, name, signed_sha256, size, reading.label)


@transaction.atomic
def _finish_signed(credential, name: str, signed_sha256: str, size: int, label: str) -> str:
    locked = Credential.objects.select_for_update().get(pk=credential.pk)
    if locked.status != Credential.Status.PENDING:
        default_storage.delete(name)  # another worker finished it first
        return "skipped"
    now = timezone.now()
    locked.status = Credential.Status.SIGNED
    locked.file.name = name
    locked.signed_sha256 = signed_sha256
    locked.size = size
    locked.manifest_label = label
    locked.signed_at = now
    locked.save()
    entry = credential.entry
    KnownHash.objects.get_or_create(
        entry=entry,
        sha256=signed_sha256,
        defaults={"programme_id": entry.programme_id, "credential": locked},
    )
    # Older credentials of the entry are superseded by this one (made for an earlier choice).
    entry.credentials.filter(superseded_at__isnull=True, pk__lt=locked.pk).update(superseded_at=now)
    ConsentEntry.objects.filter(pk=entry.pk).update(updated_at=now)
    record(
        action="provenance.credential.signed",
        obj=locked,
        programme=entry.programme,
        subject=entry.participant,
        data={
            "submission": entry.submission_id,
            "manifest": label,
            "signed_sha256": signed_sha256,
            "training_allowed": locked.training_allowed,
        },
    )
    return "signed"


@transaction.atomic
def _finish_failed(credential, error: str) -> str:
    updated = Credential.objects.filter(pk=credential.pk, status=Credential.Status.PENDING).update(
        status=Credential.Status.FAILED, error=error[:500]
    )
    if updated:
        ConsentEntry.objects.filter(pk=credential.entry_id).update(updated_at=timezone.now())
    return "failed" if updated else "skipped"


def credentials_sign_pending(*, limit: int = 200, now=None) -> int:
    """Beat: sign what is still pending after the grace period (its task was never run)."""
    cutoff = (now or timezone.now()) - PENDING_GRACE
    ids = list(
        Credential.objects.filter(status=Credential.Status.PENDING, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(credential_sign(credential_id=pk) == "signed" for pk in ids)


# --- Training checks -----------------------------------------------------------------------


@transaction.atomic
def training_check_count(*, programme: Programme, answers: dict[str, int]) -> None:
    """Count one training check (files and answers) on the programme's public tally."""
    day = timezone.localdate()
    TrainingCheckTally.objects.get_or_create(programme=programme, day=day)
    TrainingCheckTally.objects.filter(programme=programme, day=day).update(
        calls=F("calls") + 1,
        files=F("files") + sum(answers.values()),
        allowed=F("allowed") + answers.get("allowed", 0),
        not_allowed=F("not_allowed") + answers.get("not_allowed", 0),
        unknown=F("unknown") + answers.get("unknown", 0),
    )
