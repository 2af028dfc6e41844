"""Reads of provenance: the training check's lookup, the check counts of the public page, the
training-data summary, and a programme's public section of figures."""

import json

from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from core.db import fast_path
from programs.models import Programme

from . import permissions
from .models import ConsentEntry, Credential, KnownHash, TrainingCheckTally

MAX_BATCH = 10_000
ALLOWED, NOT_ALLOWED, UNKNOWN = "allowed", "not_allowed", "unknown"
# SQLite binds at most 32,766 parameters a statement; PostgreSQL takes one array.
_SQLITE_CHUNK = 900


def _lookup(programme_id: int, hashes: list[str]):
    """(sha256, training_allowed, consent, since, entry uid) of every known hash asked for;
    on PostgreSQL consent, time and uid come as text (JSON, ISO 8601), as the answer has them."""
    return fast_path(
        connection.alias,
        postgresql=lambda: _lookup_postgresql(programme_id, hashes),
        plain=lambda: lookup_plain(programme_id, hashes),
    )


# `since` as Python's `isoformat()` writes it: six digits of microseconds, none when
# they are zero (`to_json` trims trailing zeros, so .840950 came back as .84095).
_ISO_SINCE = (
    "to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " || CASE WHEN mod(extract(microseconds FROM since)::bigint, 1000000) = 0 THEN ''"
    " ELSE to_char(since AT TIME ZONE 'UTC', '.US') END || '+00:00'"
)


def _lookup_postgresql(programme_id: int, hashes: list[str]):
    """`_lookup` on PostgreSQL, in two statements with one parameter each."""
    # One parameter for the whole batch: 10,000 placeholders of `IN (…)` cost more to
    # parse and plan than the index scans they lead to, and a Python list is adapted
    # string by string; the hashes (checked lowercase hex) go as one comma-joined text
    # that the server splits (`string_to_array`). The hashes first,
    # then only the entries found (a join made the planner hash the programme's whole
    # registry). Times come as ISO text made by the server: loading thousands of
    # timestamptz values into Python and formatting them again cost more than the lookup.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sha256, entry_id FROM {KnownHash._meta.db_table} "
            f"WHERE programme_id = %s AND sha256 = ANY(string_to_array(%s, ','))",
            [programme_id, ",".join(hashes)],
        )
        found = cursor.fetchall()
        if not found:
            return
        cursor.execute(
            f"SELECT id, training_allowed, consent::text, {_ISO_SINCE}, "
            f"uid::text FROM {ConsentEntry._meta.db_table} "
            f"WHERE id = ANY(string_to_array(%s, ',')::bigint[])",
            [",".join({str(entry) for _, entry in found})],
        )
        entries = {row[0]: row[1:] for row in cursor.fetchall()}
    for sha256, entry in found:
        yield (sha256, *entries[entry])


def lookup_plain(programme_id: int, hashes: list[str]):
    """`_lookup` through the ORM, a chunk of hashes at a time (SQLite; the tests compare)."""
    for start in range(0, len(hashes), _SQLITE_CHUNK):
        yield from KnownHash.objects.filter(
            programme_id=programme_id, sha256__in=hashes[start : start + _SQLITE_CHUNK]
        ).values_list(
            "sha256", "entry__training_allowed", "entry__consent", "entry__since", "entry__uid"
        )


def check(programme: Programme, hashes: list[str], purpose: str) -> list[dict]:
    """The answer for each hash: allowed or not allowed for `purpose` by this programme's
    organiser, with the consent it rests on, or unknown (not an approved output of this
    programme: do not train on it). A hash shared by several outputs is allowed only if
    every one of them allows it."""
    found: dict[str, tuple] = {}
    for sha256, allowed, consent, since, uid in _lookup(programme.pk, hashes):
        if sha256 in found and not found[sha256][0]:
            continue  # one refusal among several outputs with this hash decides
        found[sha256] = (allowed, consent, since, uid)
    use = {True: permissions.uses(True)[purpose], False: permissions.uses(False)[purpose]}
    consents: dict = {}  # most outputs rest on the same few consents: each read once
    out = []
    for sha256 in hashes:
        hit = found.get(sha256)
        if hit is None:
            out.append({"sha256": sha256, "answer": UNKNOWN, "use": None, "consent": None})
            continue
        allowed, consent, since, uid = hit
        if isinstance(consent, str):
            consent = consents.get(consent) or consents.setdefault(consent, json.loads(consent))
        out.append(
            {
                "sha256": sha256,
                "answer": ALLOWED if allowed else NOT_ALLOWED,
                "use": use[allowed],
                "since": since if isinstance(since, str) else since.isoformat(),
                "entry": str(uid),
                "consent": consent,
            }
        )
    return out


def check_counts(programme: Programme) -> dict:
    """How many files the programme's model team checked, and how they were answered."""
    agg = TrainingCheckTally.objects.filter(programme=programme).aggregate(
        calls=Sum("calls"),
        files=Sum("files"),
        allowed=Sum("allowed"),
        not_allowed=Sum("not_allowed"),
        unknown=Sum("unknown"),
        first=Min("day"),
        last=Max("day"),
    )
    return {k: (v or 0) if k not in ("first", "last") else v for k, v in agg.items()}


def check_sentence(counts: dict) -> str:
    if not counts["files"]:
        return "The model team has not checked any file yet."
    return (
        f"The model team checked {counts['files']:,} files; {counts['not_allowed']:,} were "
        f"not allowed and {counts['unknown']:,} unknown."
    )


def registry_counts(programme: Programme) -> dict:
    agg = ConsentEntry.objects.filter(programme=programme).aggregate(
        outputs=Count("pk"),
        allowed=Count("pk", filter=Q(training_allowed=True)),
    )
    signed = Credential.objects.filter(
        entry__programme=programme, status=Credential.Status.SIGNED, superseded_at__isnull=True
    ).count()
    return {**agg, "not_allowed": agg["outputs"] - agg["allowed"], "signed": signed}


def transparency_section(programme: Programme) -> dict:
    """The public figures' section: the registry and the training checks."""
    counts = check_counts(programme)
    registry = registry_counts(programme)
    return {
        "consent_registry": registry,
        "training_checks": counts,
        "sections": [
            {
                "title": "Consent that travels with the work",
                "rows": [
                    ["Approved outputs in the consent registry", registry["outputs"]],
                    ["… of which training is allowed", registry["allowed"]],
                    ["… carrying content credentials", registry["signed"]],
                    ["Training checks by the model team", check_sentence(counts)],
                ],
            }
        ],
        "compare": [["Files checked before training", ["training_checks", "files"]]],
    }


def _size_range(sizes: list[int]) -> dict | None:
    if not sizes:
        return None
    return {"smallest_bytes": min(sizes), "largest_bytes": max(sizes), "total_bytes": sum(sizes)}


def training_summary(programme: Programme, *, registry: dict) -> dict:
    """The training-data summary for the model provider, in the structure of the EU AI Office's
    template for the public summary of training content (Art. 53(1)(d) AI Act): general
    information, the data source (testers' outputs licensed under the programme's terms), and
    how opt-outs were honoured. Generated from the signed registry document it cites."""
    entries = registry["entries"]
    usable = [e for e in entries if e["training_allowed"]]
    modalities: dict = {}
    for e in usable:
        kind = (e["media_type"] or "text/uri-list").split("/", 1)[0]
        kind = {"image": "image", "video": "video"}.get(kind, "other")
        item = modalities.setdefault(kind, {"count": 0, "media_types": {}, "sizes": []})
        item["count"] += 1
        media = e["media_type"] or "link"
        item["media_types"][media] = item["media_types"].get(media, 0) + 1
        if e["size"]:
            item["sizes"].append(e["size"])
    dates = sorted(e["approval"]["decided_at"] for e in usable)
    revoked = sum(1 for e in entries if e["revocations"])
    counts = check_counts(programme)
    return {
        "template": "EU AI Office, Template for the Public Summary of Training Content for "
        "general-purpose AI models (Art. 53(1)(d) AI Act), as far as this programme's "
        "data is concerned",
        "generated_at": timezone.now().isoformat(),
        "registry": {
            "as_of": registry["as_of"],
            "signature_key": registry["signature"]["verifier_key"],
            "url": registry["programme"]["page"].rstrip("/") + "/consent-registry.json",
        },
        "1_general_information": {
            "1_1_provider": "To be completed by the model provider.",
            "1_2_model": f"To be completed by the model provider (product under test: "
            f"{programme.product}).",
            "1_3_modalities": {
                kind: {
                    "count": item["count"],
                    "size_range": _size_range(item["sizes"]),
                    "types_of_content": "Creative work by early-access testers of "
                    f"{programme.product}: " + ", ".join(sorted(item["media_types"])),
                }
                for kind, item in sorted(modalities.items())
            },
            "collection_period": {
                "first_approval": dates[0] if dates else None,
                "last_approval": dates[-1] if dates else None,
            },
        },
        "2_data_sources": {
            "2_2_private_datasets_from_third_parties": {
                "description": f"Outputs that testers of {programme.name} made and submitted, "
                "approved for sharing, and whose training use the tester allowed under the "
                "programme's published, versioned terms (the consent registry lists each "
                "by SHA-256 with the consent it rests on).",
                "outputs_in_registry": len(entries),
                "outputs_allowed_for_training": len(usable),
                "outputs_not_allowed": len(entries) - len(usable),
            },
            "2_1_2_3_2_4_2_5_other_sources": "None from this programme.",
        },
        "3_data_processing": {
            "3_1_respect_of_reservations_of_rights": {
                "how": "Each approved file carries C2PA content credentials with a CAWG "
                "training-and-data-mining assertion; the programme publishes a signed consent "
                "registry and TDMRep (/.well-known/tdmrep.json, tdm-reservation headers); "
                "the model team checks every file's SHA-256 with the training check before "
                "training, and a withdrawal takes effect for the future from its date.",
                "withdrawals": revoked,
                "files_checked": counts["files"],
                "checked_not_allowed": counts["not_allowed"],
                "checked_unknown": counts["unknown"],
            },
        },
    }
