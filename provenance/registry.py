"""The consent registry of a programme: a JSON document (schema: provenance/schemas/
consent-registry-v1.schema.json) listing each approved output by SHA-256 with its credential,
its permission per CAWG purpose, the consent that rests on, and its revocations; signed as a
C2SP signed note with the audit signing key (audit.signednote).

What is signed: the note's text is the RFC 8785 (JCS) canonical form of the document without
its `signature` member, followed by a newline. The `signature` member carries the note's
signature lines and the key to check them with. To verify: remove `signature`, canonicalise
the rest (any JCS library; the registry holds no floating-point numbers), add a newline, a
blank line and the signature lines, and check the note with the published key.

`since` (an ISO 8601 time, normally the `as_of` of the copy one holds) limits the entries to
those changed after it; `complete` says whether the document lists every entry.
"""

import hashlib
from datetime import datetime

import rfc8785
from django.conf import settings
from django.db.models import Count, Max, Prefetch
from django.urls import reverse

from audit import keys, signednote
from programs.models import Programme

from . import permissions
from .models import ConsentEntry, Credential, PermissionChange

SCHEMA_VERSION = 1
SIGNED_NOTE = "https://c2sp.org/signed-note"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def state(programme: Programme, since: datetime | None = None) -> tuple[int, datetime | None]:
    """(number of entries, time of the latest change): what the document's ETag rests on."""
    agg = ConsentEntry.objects.filter(programme=programme).aggregate(
        n=Count("pk"), last=Max("updated_at")
    )
    return agg["n"], agg["last"]


def etag(programme: Programme, since: datetime | None = None) -> str:
    """A strong ETag, without building the document: every change of an entry moves its
    `updated_at`, and the rest of the document is the programme's name and the key."""
    total, last = state(programme, since)
    name = signednote.key_name()
    key = signednote.verifier_key(name, keys.signing_key()[1].public_key())
    parts = [
        SCHEMA_VERSION,
        programme.pk,
        programme.slug,
        programme.name,
        programme.product,
        total,
        _iso(last),
        _iso(since),
        key,
        settings.SITE_URL,
    ]
    return '"' + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40] + '"'


def _credential(c: Credential) -> dict:
    return {
        "id": str(c.uid),
        "status": c.status,
        "manifest": c.manifest_label or None,
        "signed_sha256": c.signed_sha256 or None,
        "signed_at": _iso(c.signed_at),
        "training_allowed": c.training_allowed,
    }


def _entry(e: ConsentEntry, constraint: str) -> dict:
    creds = list(e.credentials.all())
    current = next((c for c in reversed(creds) if c.superseded_at is None), None)
    superseded = [
        {**_credential(c), "superseded_at": _iso(c.superseded_at)}
        for c in creds
        if c.superseded_at is not None and c.status == Credential.Status.SIGNED
    ]
    uses = {}
    for purpose, use in permissions.uses(e.training_allowed).items():
        uses[purpose] = {"use": use, "since": _iso(e.since)}
        if use == permissions.CONSTRAINED:
            uses[purpose]["constraint_info"] = constraint
    revocations, before = [], None
    for change in e.changes.all():
        if before is True and not change.training_allowed:
            revocations.append(
                {
                    "at": _iso(change.at),
                    "purposes": list(permissions.PURPOSES),
                    "consent": change.consent,
                }
            )
        before = change.training_allowed
    return {
        "id": str(e.uid),
        "sha256": e.sha256,
        "kind": e.kind,
        "media_type": e.media_type or None,
        "size": e.size,
        "approval": {
            "decision": e.decision,
            "decided_at": _iso(e.decided_at),
            "deemed": e.deemed,
            "terms_version": e.submission.terms_version.number,
        },
        "credit": e.credit,
        "credential": _credential(current) if current else None,
        "superseded_credentials": superseded,
        "training_allowed": e.training_allowed,
        "permissions": uses,
        "consent": e.consent,
        "revocations": revocations,
        "updated_at": _iso(e.updated_at),
    }


def document(programme: Programme, *, since: datetime | None = None) -> dict:
    """The unsigned registry document."""
    site = settings.SITE_URL
    total, last = state(programme)
    entries = (
        ConsentEntry.objects.filter(programme=programme)
        .select_related("submission__terms_version")
        .prefetch_related(
            Prefetch("credentials", queryset=Credential.objects.order_by("pk")),
            Prefetch("changes", queryset=PermissionChange.objects.order_by("at", "pk")),
        )
        .order_by("pk")
    )
    if since is not None:
        entries = entries.filter(updated_at__gt=since)
    constraint = permissions.constraint(programme)
    return {
        "$schema": site + reverse("provenance:schema"),
        "version": SCHEMA_VERSION,
        "publisher": settings.SITE_NAME,
        "programme": {
            "slug": programme.slug,
            "name": programme.name,
            "product": programme.product,
            "page": site + programme.get_absolute_url(),
        },
        "as_of": _iso(last),
        "since": _iso(since),
        "complete": since is None,
        "entries_total": total,
        "purposes": permissions.PURPOSES,
        "training_check": site + reverse("api:training-check", kwargs={"slug": programme.slug}),
        "tdm_policy": site + reverse("provenance:tdm_policy"),
        "entries": [_entry(e, constraint) for e in entries],
    }


def canonical_text(doc: dict) -> str:
    """The signed text of a document: its RFC 8785 form (without `signature`) and a newline."""
    body = {k: v for k, v in doc.items() if k != "signature"}
    return rfc8785.dumps(body).decode() + "\n"


def sign(doc: dict) -> dict:
    """The document with its `signature` member (a C2SP signed note of its canonical text)."""
    note = signednote.sign(canonical_text(doc))
    name = signednote.key_name()
    public = keys.signing_key()[1].public_key()
    return {
        **doc,
        "signature": {
            "format": SIGNED_NOTE,
            "canonicalization": "RFC 8785 of the document without `signature`, then a newline",
            "key_name": name,
            "key_id": signednote.key_id(name, public).hex(),
            "verifier_key": signednote.verifier_key(name, public),
            "lines": signednote.signature_lines(note),
        },
    }


def note_of(doc: dict) -> str:
    """The signed note a document carries (its canonical text and its signature lines)."""
    return canonical_text(doc) + "\n" + "\n".join(doc["signature"]["lines"]) + "\n"


def verify(doc: dict) -> bool:
    """Whether a document's signature verifies with the published audit keys."""
    try:
        signednote.verify(note_of(doc))
    except (signednote.NoteError, KeyError, TypeError):
        return False
    return True


def signed(programme: Programme, *, since: datetime | None = None) -> dict:
    return sign(document(programme, since=since))
