"""C2PA content credentials with c2pa-python: the manifest of an approved output, signed into a
copy of its file (in the worker), and read back (after signing, and on the proof page).

Chosen because it is the Content Authenticity Initiative's own binding of c2pa-rs, the
reference implementation: it signs and validates images and ISO BMFF video in place and
knows the CAWG training-and-data-mining assertion.

What it can sign of what we accept: PNG, JPEG, GIF, WebP, MP4 and QuickTime. WebM is accepted
as an output but c2pa-rs cannot embed a manifest in it (no Matroska support): its outputs get
no credential (the registry and the training check still list them by hash).

The manifest of an output:
- `c2pa.actions.v2`: `c2pa.opened` of the tester's file as the parent ingredient (the copy is
  the same picture or video, with credentials added; nothing is edited);
- `stds.schema-org.CreativeWork`: the author as credited (or "withheld"), the title;
- `cawg.training-mining`: the four CAWG uses (provenance.permissions);
- `org.termsandtesters.consent`: programme, terms version and hash, the approval (decision,
  date, deemed or not), the proof page and the consent registry.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import c2pa
from django.conf import settings

from . import testchain

SIGNABLE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "video/mp4", "video/quicktime"}
)
ASSERTION = "org.termsandtesters.consent"
GENERATOR = {"name": "Terms & Testers", "version": "1"}


class SigningNotConfigured(Exception):
    pass


def signable(media_type: str) -> bool:
    return media_type in SIGNABLE_TYPES


def _files() -> tuple[bytes, bytes]:
    key_file, chain_file = settings.C2PA_SIGNING_KEY_FILE, settings.C2PA_CERT_CHAIN_FILE
    if not key_file or not chain_file:
        raise SigningNotConfigured("C2PA_SIGNING_KEY_FILE and C2PA_CERT_CHAIN_FILE are not set.")
    if not settings.PRODUCTION:
        # The embedded run and the tests: a test chain, made the first time it is needed.
        testchain.ensure(key_file, chain_file, settings.C2PA_TRUST_ANCHORS_FILE)
    return Path(key_file).read_bytes(), Path(chain_file).read_bytes()


def _signer() -> c2pa.Signer:
    key, chain = _files()
    return c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(
            alg=settings.C2PA_SIGNING_ALG,
            sign_cert=chain,
            private_key=key,
            ta_url=settings.C2PA_TSA_URL or None,
        )
    )


def manifest(
    *, title: str, author: str, training: dict, consent: dict, generator_version: str = "1"
) -> dict:
    """The manifest definition c2pa's Builder takes."""
    person = {"@type": "Person", "name": author}
    return {
        "claim_generator_info": [{**GENERATOR, "version": generator_version}],
        "title": title,
        "assertions": [
            {
                "label": "stds.schema-org.CreativeWork",
                "data": {
                    "@context": "https://schema.org",
                    "@type": "CreativeWork",
                    "name": title,
                    "author": [person],
                },
                "kind": "Json",
            },
            {"label": "cawg.training-mining", "data": {"entries": training}},
            {"label": ASSERTION, "data": consent},
        ],
    }


def sign(*, source, media_type: str, definition: dict, dest) -> None:
    """Sign `definition` into a copy of `source` (a readable binary file) written to `dest`
    (a file opened "w+b"). Raises c2pa.C2paError when the file cannot carry it."""
    signer = _signer()
    try:
        with c2pa.Builder(definition) as builder:
            builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
            builder.sign(signer, media_type, source, dest)
    finally:
        signer.close()


@dataclass
class Reading:
    """What c2pa-python reads back from a file: is there a manifest, does it validate (and is
    its signer trusted by our anchors), what does it say."""

    found: bool
    state: str = ""  # "Invalid", "Valid" or "Trusted" (c2pa's validation state)
    label: str = ""
    manifest: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    signer: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.found and self.state in ("Valid", "Trusted") and not self.failures

    def assertion(self, label: str) -> dict | None:
        for item in self.manifest.get("assertions", []):
            if item.get("label") == label:
                return item.get("data")
        return None


def _context() -> c2pa.Context | None:
    anchors = settings.C2PA_TRUST_ANCHORS_FILE
    if not anchors or not Path(anchors).is_file():
        return None
    return c2pa.Context.from_dict(
        {"trust": {"trust_anchors": Path(anchors).read_text()}, "verify": {"verify_trust": True}}
    )


def read(stream, media_type: str) -> Reading:
    """Read and validate the manifest of a file (a readable binary stream)."""
    context = _context()
    try:
        try:
            reader = (
                c2pa.Reader(media_type, stream, None, context)
                if context
                else c2pa.Reader(media_type, stream)
            )
        except c2pa.C2paError.ManifestNotFound:
            return Reading(found=False)
        except c2pa.C2paError as exc:
            return Reading(found=False, error=str(exc)[:300])
        with reader:
            active = reader.get_active_manifest() or {}
            results = (reader.get_validation_results() or {}).get("activeManifest", {})
            return Reading(
                found=True,
                state=reader.get_validation_state() or "",
                label=active.get("label", ""),
                manifest=active,
                # Untrusted is not a failure of the file: it says who may vouch for the signer.
                failures=[
                    item.get("code", "")
                    for item in results.get("failure", [])
                    if item.get("code") != "signingCredential.untrusted"
                ],
                signer=(active.get("signature_info") or {}).get("common_name", ""),
            )
    finally:
        if context is not None:
            context.close()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def summary(reading: Reading) -> dict:
    """A reading as JSON-ready facts (what the proof page shows and the tests compare)."""
    training = reading.assertion("cawg.training-mining") or {}
    return {
        "found": reading.found,
        "state": reading.state,
        "label": reading.label,
        "failures": reading.failures,
        "signer": reading.signer,
        "training": {k: v.get("use") for k, v in (training.get("entries") or {}).items()},
        "consent": reading.assertion(ASSERTION) or {},
        "error": reading.error,
    }
