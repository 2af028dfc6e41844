"""Consent that travels with the work: what the consent registry lists for each approved output,
the content credentials signed into copies of it, and the training checks a model team makes.

A `ConsentEntry` is the registry's line for one approved output: its SHA-256 as delivered, its
approval, and whether it may be used for training now, with the consent that rests on. Each
change of that permission appends a `PermissionChange` (withdrawals take effect from their date,
never backwards). Each `Credential` is one C2PA manifest signed into a copy of the file; a
change of permission makes a new one and supersedes the old. `KnownHash` maps every hash a
model team may hold (the file as delivered, every signed copy) to its entry: the training
check reads it. `TrainingCheckTally` counts the checks per programme and day, for the public
page.
"""

import mimetypes
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.db import AppendOnlyModel
from programs.downloads import Download
from programs.policy import RestrictedQuerySet, Visibility


class ConsentEntryQuerySet(RestrictedQuerySet):
    pass


class ConsentEntry(models.Model):
    """The consent registry's line for one approved (or deemed-approved) output.

    Written when the output is approved and kept current by `provenance.services` whenever
    the tester's training choice or accepted terms change; `updated_at` moves with every
    change, so the registry can be read incrementally (`since`).
    """

    class Kind(models.TextChoices):
        FILE = "file", _("File")
        URL = "url", _("Link")

    programme = models.ForeignKey(
        "programs.Programme", on_delete=models.PROTECT, related_name="consent_entries"
    )
    submission = models.OneToOneField(
        "approvals.OutputSubmission", on_delete=models.PROTECT, related_name="consent_entry"
    )
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sha256 = models.CharField(max_length=64, help_text="Of the file as delivered (or the URL).")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    media_type = models.CharField(max_length=50, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    decision = models.CharField(max_length=20)
    decided_at = models.DateTimeField()
    deemed = models.BooleanField(default=False)
    credit = models.CharField(
        max_length=200, help_text="The author as the tester is credited, or “withheld”."
    )
    training_allowed = models.BooleanField()
    # What the permission rests on: {"basis", "terms_version", "terms_sha256", "consented_at",
    # "choice_at"} (provenance.permissions.Permission.basis).
    consent = models.JSONField(default=dict)
    since = models.DateTimeField(help_text="When the current permission took effect.")
    updated_at = models.DateTimeField()

    objects = ConsentEntryQuerySet.as_manager()
    # Its signed copy goes to whom the output's file goes: its tester, the programme's
    # reviewers and managers (approvals.OutputSubmission).
    visibility = Visibility(programme="programme_id", owner="participant", staff="review")

    class Meta:
        verbose_name_plural = "consent entries"
        indexes = [
            models.Index(fields=["programme", "updated_at"], name="provenance_entry_since_idx"),
            models.Index(fields=["participant", "programme"], name="provenance_entry_person_idx"),
        ]

    def __str__(self):
        return f"{self.sha256[:12]}… ({'allowed' if self.training_allowed else 'not allowed'})"

    def current_credential(self):
        """The newest signed credential that says what the entry says now, or None."""
        return (
            self.credentials.filter(
                status=Credential.Status.SIGNED,
                superseded_at__isnull=True,
                training_allowed=self.training_allowed,
            )
            .order_by("-pk")
            .first()
        )

    def download(self, variant=None) -> Download | None:
        """The signed copy carrying the current credential (none while it is being made)."""
        credential = self.current_credential()
        if credential is None or not credential.file:
            return None
        extension = mimetypes.guess_extension(self.media_type) or ""
        return Download(
            file=credential.file,
            filename=f"output-{self.submission_id}-signed{extension}",
            content_type=self.media_type or "application/octet-stream",
            checksum=credential.signed_sha256,
        )


class PermissionChange(AppendOnlyModel):
    """The permission of an entry from `at` on: the first row is the approval's, each further
    row a grant or a withdrawal by the tester (or by terms they accepted). Never edited."""

    entry = models.ForeignKey(ConsentEntry, on_delete=models.PROTECT, related_name="changes")
    training_allowed = models.BooleanField()
    at = models.DateTimeField()
    consent = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{'allowed' if self.training_allowed else 'not allowed'} from {self.at:%Y-%m-%d}"


class CredentialQuerySet(RestrictedQuerySet):
    pass


class Credential(models.Model):
    """One C2PA manifest signed into a copy of an output's file, in the worker.

    `training_allowed` is what its CAWG training-and-data-mining assertion says. When the
    permission changes, a new credential is made and this one is superseded (listed as such
    on the proof page); its file stays, for the record, but is no longer handed out.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Being signed")
        SIGNED = "signed", _("Signed")
        FAILED = "failed", _("Could not be signed")
        UNSUPPORTED = "unsupported", _("This file type cannot carry content credentials")
        SKIPPED = "skipped", _("Superseded before it was signed")

    entry = models.ForeignKey(ConsentEntry, on_delete=models.PROTECT, related_name="credentials")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    training_allowed = models.BooleanField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    manifest_label = models.CharField(max_length=120, blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(blank=True, max_length=200)
    size = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = CredentialQuerySet.as_manager()
    visibility = Visibility(
        programme="entry__programme_id", owner="entry__participant", staff="review"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="provenance_cred_todo_idx")]

    def __str__(self):
        return f"{self.manifest_label or self.uid} ({self.get_status_display()})"


class KnownHash(models.Model):
    """A SHA-256 a model team may hold for an entry: the file as delivered (no credential),
    or a signed copy (its credential). The training check looks hashes up here."""

    programme = models.ForeignKey("programs.Programme", on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    entry = models.ForeignKey(ConsentEntry, on_delete=models.PROTECT, related_name="hashes")
    credential = models.ForeignKey(
        Credential, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["programme", "sha256"], name="provenance_hash_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "sha256"], name="provenance_one_hash_per_entry"
            )
        ]

    def __str__(self):
        return self.sha256


class TrainingCheckTally(models.Model):
    """How many files a programme's model team checked on one day, and the answers."""

    programme = models.ForeignKey("programs.Programme", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    calls = models.PositiveIntegerField(default=0)
    files = models.PositiveBigIntegerField(default=0)
    allowed = models.PositiveBigIntegerField(default=0)
    not_allowed = models.PositiveBigIntegerField(default=0)
    unknown = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "day"], name="provenance_one_tally_a_day")
        ]

    def __str__(self):
        return f"{self.day}: {self.files} files checked"
