"""The training check benchmark (issue 30): 10,000 hashes answered by the API ≤ 200 ms and
≤ 3× a bare indexed `SELECT … WHERE sha256 = ANY(…)` of the same hashes.

The consent registry of the largest programme is made from its approved outputs in SQL (an
entry per output, its hash as delivered and one of a signed copy), with up to `FULL × scale`
entries. Each run posts 10,000 hashes (half of them known, half unknown) to
`/api/v1/programmes/<slug>/training-check/` with a service-account token, in-process: the
whole request (authentication, validation, the lookup, the tally, the JSON) is timed. The peer
is the bare indexed lookup of the same hashes, with nothing around it.
"""

import json
import random
import statistics
import time

from django.db import connection, transaction
from django.test import Client

from api.auth import SERVICE_PREFIX, token_hash
from api.models import ServiceToken

FULL = 100_000
BATCH = 10_000


def _generate(cmd, n: int) -> int:
    """Registry entries for up to `n` approved outputs of the largest programme; how many."""
    programme = cmd.largest
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM provenance_consententry WHERE programme_id = %s", [programme.pk]
        )
        (have,) = cursor.fetchone()
        if have:
            return have
        cursor.execute(
            """
            INSERT INTO provenance_consententry (programme_id, submission_id, participant_id,
                uid, sha256, kind, media_type, size, decision, decided_at, deemed, credit,
                training_allowed, consent, since, updated_at)
            SELECT s.programme_id, s.id, s.participant_id, gen_random_uuid(), s.content_hash,
                'url', '', NULL, s.status, coalesce(s.decided_at, s.submitted_at),
                s.status = 'deemed_approved', 'withheld', s.id %% 3 <> 0,
                jsonb_build_object('basis', 'terms', 'terms_version', 1, 'terms_sha256', NULL,
                    'consented_at', NULL, 'choice_at', NULL),
                now(), now()
            FROM approvals_outputsubmission s
            WHERE s.programme_id = %s AND s.status IN ('approved', 'deemed_approved')
            ORDER BY s.id LIMIT %s
            """,
            [programme.pk, n],
        )
        made = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO provenance_knownhash (programme_id, sha256, entry_id, credential_id)
            SELECT programme_id, sha256, id, NULL::bigint FROM provenance_consententry
            WHERE programme_id = %s
            UNION ALL
            SELECT programme_id, encode(sha256(convert_to(sha256 || ':signed', 'UTF8')), 'hex'),
                id, NULL::bigint FROM provenance_consententry WHERE programme_id = %s
            """,
            [programme.pk, programme.pk],
        )
        cursor.execute("ANALYZE provenance_consententry")
        cursor.execute("ANALYZE provenance_knownhash")
    return made


def _token(programme) -> str:

    plain = f"{SERVICE_PREFIX}benchcheck01_bench-secret"
    ServiceToken.objects.get_or_create(
        prefix="benchcheck01",
        defaults={
            "programme": programme,
            "name": "bench pipeline",
            "key_hash": token_hash(plain),
            "created_by": programme.roles.first().user,
        },
    )
    return plain


def _hashes(programme, seed: int) -> list[str]:
    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sha256 FROM provenance_knownhash WHERE programme_id = %s "
            "ORDER BY md5(sha256 || %s) LIMIT %s",
            [programme.pk, str(seed), BATCH // 2],
        )
        known = [row[0] for row in cursor.fetchall()]
    unknown = [f"{rng.getrandbits(256):064x}" for _ in range(BATCH - len(known))]
    mixed = known + unknown
    rng.shuffle(mixed)
    return mixed


def _peer(programme, hashes: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sha256 FROM provenance_knownhash WHERE programme_id = %s AND sha256 = ANY(%s)",
            [programme.pk, hashes],
        )
        found = len(cursor.fetchall())
    return time.perf_counter() - start, found


def measure_training_check(cmd, table) -> None:
    programme = cmd.largest
    entries = _generate(cmd, max(100, int(FULL * cmd.scale)))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {_token(programme)}")
    url = f"/api/v1/programmes/{programme.slug}/training-check/"
    ours, peers, answers = [], [], {}
    for run in range(cmd.runs + 1):  # the first run warms plans and caches
        hashes = _hashes(programme, run)
        body = json.dumps({"purpose": "cawg.ai_training", "hashes": hashes})
        start = time.perf_counter()
        response = client.post(url, body, content_type="application/json")
        took = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"the training check answered {response.status_code}")
        data = response.json()
        peer, found = _peer(programme, hashes)
        known = data["allowed"] + data["not_allowed"]
        if known != found:
            raise RuntimeError(f"the check knew {known} hashes, the peer found {found}")
        if run:
            ours.append(took)
            peers.append(peer)
            answers = {k: data[k] for k in ("allowed", "not_allowed", "unknown")}
    med, peer_med = statistics.median(ours), statistics.median(peers)
    ratio = med / peer_med if peer_med else float("inf")
    cmd.stdout.write(
        f"  training check: {BATCH:,} hashes in {med * 1000:.0f} ms (registry of {entries:,} "
        f"outputs); bare SELECT … = ANY {peer_med * 1000:.0f} ms; ratio {ratio:.1f}×; {answers}"
    )
    table.add(
        f"training check of {BATCH:,} hashes (half known) against a registry of {entries:,} "
        "outputs: the API call with a service-account token (auth, validation, lookup, "
        "counting, JSON)",
        f"{med * 1000:.0f} ms (min {min(ours) * 1000:.0f}, max {max(ours) * 1000:.0f})",
        peer=f"a bare indexed `SELECT sha256 … WHERE sha256 = ANY(…)`: {peer_med * 1000:.0f} ms",
        ratio=f"{ratio:.1f}×",
        target="≤ 200 ms and ≤ 3×",
        ok=med <= 0.2 and ratio <= 3,
        raw={"ours_s": ours, "peer_s": peers, "answers": answers},
    )
