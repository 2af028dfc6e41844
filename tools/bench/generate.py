"""The benchmark's data: every record streamed into PostgreSQL with COPY, consistent by
construction (`--scale` shrinks or grows every count), or the data of an earlier run."""

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from approvals.models import OutputSubmission, ReasonCode, ReviewDecision
from audit import binding, sequencer
from audit.keys import current_chain_key
from audit.models import V2, AuditEvent, AuditTree, canonical_data, epoch_us, event_hash
from compensation.models import LedgerEntry, PayoutBatch
from feedback.models import Ticket
from labour.models import TimeEntry
from participants.models import Participation
from programs.models import Programme, ProgrammeRole, TermsVersion
from tests.factories import TermsFactory


class GenerateData:
    """Mixin of the bench command: `generate()` and `existing()`."""

    def n_of(self, full: int, minimum: int = 1) -> int:
        return max(minimum, int(full * self.scale))

    def _copy(self, table: str, columns: str, rows) -> int:
        """Stream `rows` (tuples) into `table` with COPY, 20,000 lines at a time.

        Values never contain tabs, newlines or backslashes (the generators make
        sure), so str() is the COPY text format; None is NULL.
        """
        n = 0
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as cp,
        ):
            lines = []
            for row in rows:
                lines.append("\t".join(["\\N" if v is None else str(v) for v in row]))
                if len(lines) >= 20_000:
                    cp.write("\n".join(lines) + "\n")
                    n += len(lines)
                    lines = []
            if lines:
                cp.write("\n".join(lines) + "\n")
                n += len(lines)
        return n

    def _setval(self, table: str):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )

    def _timed(self, label: str, fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        elapsed = time.perf_counter() - start
        self.generation_times[label] = round(elapsed, 1)
        self.stdout.write(f"  {label}: {elapsed:.1f}s", ending="\n")
        self.stdout.flush()
        return result

    def generate(self) -> dict:
        """Every record of the benchmark, streamed into COPY; consistent by construction."""

        if Programme.objects.exists():
            raise CommandError("The bench database is not empty; make bench creates a fresh one.")
        self.generation_times = {}
        User = get_user_model()  # noqa: N806 - the model class
        n_programmes = self.n_of(20, 2)
        n_people = self.n_of(100_000, 20)
        n_events = self.n_of(1_000_000, 100)
        n_submissions = self.n_of(1_000_000, 100)
        n_ledger = self.n_of(1_000_000, 100)
        n_tickets = self.n_of(300_000, 30)
        n_hours = self.n_of(1_000_000, 100)
        # The participant of the portal figure: about 10,000 records at full scale.
        own = {
            "submissions": self.n_of(3_000, 3),
            "tickets": self.n_of(1_000, 1),
            "hours": self.n_of(3_000, 3),
            "ledger": self.n_of(3_000, 3),
        }
        now = timezone.now().replace(microsecond=0)
        self.now = now
        now_s = now.timestamp()

        def at(seconds_ago: float) -> str:
            return datetime.fromtimestamp(now_s - seconds_ago, UTC).isoformat()

        today = now.date()
        days = [(today - timedelta(days=d)).isoformat() for d in range(400)]

        password = make_password("demo-pass-2024")
        self.superuser = User.objects.create_superuser(
            "bench-admin", "bench-admin@example.com", "demo-pass-2024"
        )
        self.reviewer = User.objects.create_user(
            "bench-reviewer", "bench-reviewer@example.com", "demo-pass-2024"
        )
        self.finance = User.objects.create_user(
            "bench-finance", "bench-finance@example.com", "demo-pass-2024"
        )
        currencies = ["EUR", "USD", "GBP"]
        programmes = []
        for i in range(n_programmes):
            terms = TermsFactory(
                programme__slug=f"bench-{i:02d}",
                programme__name=f"Bench programme {i:02d}",
                programme__reference_hourly_rate="30.00",
                programme__currency=currencies[i % 3],
                currency=currencies[i % 3],
                effective_at=now - timedelta(days=400),
            )
            programmes.append(terms.programme)
            for role, user in (("reviewer", self.reviewer), ("finance", self.finance)):
                ProgrammeRole.objects.create(programme=terms.programme, user=user, role=role)
        terms_of = {
            t.programme_id: t for t in TermsVersion.objects.filter(programme__in=programmes)
        }
        reasons = {
            p.pk: [
                ReasonCode.objects.create(programme=p, code=code, label=label).pk
                for code, label in (
                    ("nda", "Reveals confidential material"),
                    ("quality", "Not representative of the product"),
                    ("rights", "Third-party rights unclear"),
                )
            ]
            for p in programmes
        }
        prog_pk = [p.pk for p in programmes]
        prog_currency = [p.currency for p in programmes]
        prog_terms = [terms_of[p.pk].pk for p in programmes]
        base = 1_000_000
        third = n_people // 3

        def prog_index(i: int) -> int:
            # The largest programme holds a third of everyone; the rest share the others.
            return 0 if i < third else 1 + i % (n_programmes - 1)

        person_prog = [prog_index(i) for i in range(n_people)]

        def person_of(k: int, own_n: int) -> int:
            """Record k's participant (index): the portal's person first, then scattered."""
            if k < own_n:
                return 0
            return (k * 2654435761 + 97) % n_people

        def users():
            joined = now.isoformat()
            for i in range(n_people):
                yield (
                    base + i,
                    password,
                    "f",
                    f"bench{i}@example.com",
                    "Bench",
                    f"Tester {i}",
                    f"bench{i}@example.com",
                    "f",
                    "t",
                    joined,
                )

        self._timed(
            "users",
            self._copy,
            "auth_user",
            "id, password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined",
            users(),
        )
        self._setval("auth_user")
        p_statuses = ["active"] * 17 + ["withdrawn", "paused", "removed"]
        self._timed(
            "participations",
            self._copy,
            "participants_participation",
            "id, user_id, programme_id, status, role, status_reason, joined_at, payout_reference",
            (
                (
                    base + i,
                    base + i,
                    prog_pk[person_prog[i]],
                    p_statuses[i % len(p_statuses)],
                    "tester",
                    "",
                    at(86400 * (1 + i % 300)),
                    f"PAY-{i}",
                )
                for i in range(n_people)
            ),
        )
        self._setval("participants_participation")
        hashes = [terms_of[pk].content_hash for pk in prog_pk]
        self._timed(
            "consents",
            self._copy,
            "participants_consent",
            "participation_id, terms_version_id, terms_hash, accepted_at, shown_language, "
            "shown_hash",
            (
                (
                    base + i,
                    prog_terms[person_prog[i]],
                    hashes[person_prog[i]],
                    now.isoformat(),
                    "en-gb",  # the binding text, as the consent screen shows it by default
                    hashes[person_prog[i]],
                )
                for i in range(n_people)
            ),
        )
        g = SimpleNamespace(**locals())
        self._timed("submissions", self._gen_submissions, g)
        self._timed("tickets", self._gen_tickets, g)
        self._timed("time entries", self._gen_hours, g)
        self._timed("ledger", self._gen_ledger, g)
        self._timed("audit events", self._gen_audit, n_events, n_people, person_prog, prog_pk)
        with connection.cursor() as cursor:
            self._timed("vacuum analyze", cursor.execute, "VACUUM ANALYZE")
        self.programmes = programmes
        self.largest = programmes[0]
        self.person_id = base  # in the largest programme
        counts = {
            "programmes": n_programmes,
            "participants": n_people,
            "largest_programme_participants": Participation.objects.filter(
                programme=self.largest
            ).count(),
            "output_submissions": n_submissions,
            "review_decisions": self.decision_count,
            "ledger_entries": n_ledger,
            "tickets": n_tickets,
            "time_entries": n_hours,
            "audit_events": n_events,
            "portal_person_records": sum(own.values()),
        }
        return counts

    def existing(self) -> dict:
        """The people and counts of data an earlier run generated (`--reuse`)."""

        User = get_user_model()
        self.programmes = list(Programme.objects.filter(slug__startswith="bench-").order_by("slug"))
        if not self.programmes:
            raise CommandError("--reuse needs a database made by an earlier `make bench`.")
        self.largest = self.programmes[0]
        self.superuser = User.objects.get(username="bench-admin")
        self.reviewer = User.objects.get(username="bench-reviewer")
        self.finance = User.objects.get(username="bench-finance")
        self.person_id = 1_000_000
        self.decision_count = ReviewDecision.objects.count()
        return {
            "programmes": len(self.programmes),
            "participants": Participation.objects.count(),
            "largest_programme_participants": Participation.objects.filter(
                programme=self.largest
            ).count(),
            "output_submissions": OutputSubmission.objects.count(),
            "review_decisions": self.decision_count,
            "ledger_entries": LedgerEntry.objects.count(),
            "tickets": Ticket.objects.count(),
            "time_entries": TimeEntry.objects.count(),
            "audit_events": AuditEvent.objects.count(),
        }

    def _gen_submissions(self, g):
        """Submissions with a realistic status mix, their decisions and appeals."""
        n, own = g.n_submissions, g.own["submissions"]
        person_of, person_prog, at = g.person_of, g.person_prog, g.at
        prog_pk, prog_terms, reasons = g.prog_pk, g.prog_terms, g.reasons
        base, reviewer = g.base, self.reviewer.pk
        # Per 1,000: 12.5% waiting for review, the rest decided or withdrawn.
        mix = (
            ["pending"] * 100
            + ["in_review"] * 20
            + ["appealed"] * 5
            + ["approved"] * 550
            + ["deemed_approved"] * 30
            + ["rejected"] * 120
            + ["changes_requested"] * 50
            + ["resubmitted"] * 40
            + ["withdrawn"] * 85
        )
        uses = ["social", "portfolio", "screening", "press", "other", "private"]
        open_ = {"pending", "in_review", "appealed"}
        state = {"decisions": 0}

        def status_of(k):
            return mix[(k * 7919) % 1000]

        def rows():
            for k in range(n):
                i = person_of(k, own)
                pi = person_prog[i]
                status = status_of(k)
                if status in open_:
                    # Open items arrived in the last 6 days; a 72 h clock makes about half overdue.
                    submitted = 518_400 * ((k * 104729) % 1000) / 1000
                    decided = None
                else:
                    submitted = 604_800 + 86_400 * ((k * 104729) % 170_000) / 1000
                    decided = submitted - 3_600 * (1 + (k * 31) % 100)
                due = submitted - 72 * 3600
                claimed = status == "in_review"
                yield (
                    k + 1,
                    1,
                    f"Output {k}",
                    "",
                    "",
                    "",
                    f"https://example.com/outputs/{k}",
                    f"{k:064x}",
                    uses[k % 6],
                    "",
                    status,
                    at(submitted),
                    at(due),
                    at(due),
                    at(decided) if decided is not None else None,
                    reviewer if claimed else None,
                    at(-1800) if claimed else None,
                    f"bench-verify-{k}" if status in ("approved", "deemed_approved") else None,
                    base + i,
                    prog_pk[pi],
                    prog_terms[pi],
                )

        columns = (
            "id, version, title, prompt, file, file_type, url, content_hash, intended_use, "
            "intended_venue, status, submitted_at, due_at, clock_at, decided_at, claimed_by_id, "
            "claim_expires_at, verify_token, participant_id, programme_id, terms_version_id"
        )
        self._copy("approvals_outputsubmission", columns, rows())
        self._setval("approvals_outputsubmission")
        outcome_of = {
            "approved": ("review", "approved"),
            "deemed_approved": ("automatic", "deemed_approved"),
            "rejected": ("review", "rejected"),
            "appealed": ("review", "rejected"),
            "changes_requested": ("review", "changes_requested"),
            "resubmitted": ("review", "changes_requested"),
        }

        def decision_rows():
            for k in range(n):
                status = status_of(k)
                if status not in outcome_of:
                    continue
                stage, outcome = outcome_of[status]
                i = person_of(k, own)
                pi = person_prog[i]
                if status == "appealed":
                    submitted = 518_400 * ((k * 104729) % 1000) / 1000
                    decided = submitted - 3_600
                else:
                    submitted = 604_800 + 86_400 * ((k * 104729) % 170_000) / 1000
                    decided = submitted - 3_600 * (1 + (k * 31) % 100)
                needs_reason = outcome in ("rejected", "changes_requested")
                state["decisions"] += 1
                yield (
                    stage,
                    outcome,
                    "" if not needs_reason else "Please see the reason.",
                    at(decided),
                    reasons[prog_pk[pi]][k % 3] if needs_reason else None,
                    None if stage == "automatic" else reviewer,
                    k + 1,
                )

        self._copy(
            "approvals_reviewdecision",
            "stage, outcome, note, decided_at, reason_id, reviewer_id, submission_id",
            decision_rows(),
        )
        self.decision_count = state["decisions"]
        self._copy(
            "approvals_appeal",
            "note, filed_at, submission_id",
            (
                ("I think this is fine to share.", at(600), k + 1)
                for k in range(n)
                if status_of(k) == "appealed"
            ),
        )

    def _gen_tickets(self, g):
        """Tickets of every kind and status; bugs and safety findings carry a severity."""
        n, own = g.n_tickets, g.own["tickets"]
        person_of, person_prog, at = g.person_of, g.person_prog, g.at
        prog_pk, prog_terms, base = g.prog_pk, g.prog_terms, g.base
        kinds = ["bug"] * 9 + ["feedback"] * 6 + ["feature_request"] * 3 + ["safety_finding"] * 2
        statuses = (
            ["new"] * 4
            + ["needs_info"]
            + ["triaged"] * 3
            + ["accepted"] * 4
            + ["not_reproducible"] * 2
            + ["wont_fix"] * 2
            + ["resolved"] * 4
        )
        severities = ["low", "medium", "high", "critical"]
        triaged = {"triaged", "accepted", "not_reproducible", "wont_fix", "resolved"}

        def rows():
            for k in range(n):
                i = person_of(k, own)
                pi = person_prog[i]
                kind = kinds[(k * 13) % 20]
                status = statuses[(k * 17) % 20]
                severity = severities[k % 4] if kind in ("bug", "safety_finding") else ""
                created = 86_400 * ((k * 7907) % 300_000) / 1000
                yield (
                    k + 1,
                    kind,
                    f"Ticket {k}",
                    "What happened, in a few words.",
                    "",
                    "",
                    "",
                    severity,
                    {"": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}[severity],
                    status,
                    at(created),
                    at(created / 2),
                    at(created - 3600) if status in triaged else None,
                    at(created - 7200) if status in ("accepted", "resolved") else None,
                    at(created / 2) if status == "resolved" else None,
                    at(created - 1800) if status == "needs_info" else None,
                    0,
                    prog_pk[pi],
                    base + i,
                    prog_terms[pi],
                )

        self._copy(
            "feedback_ticket",
            "id, kind, title, description, steps_to_reproduce, expected_result, actual_result, "
            "severity, severity_rank, status, created_at, updated_at, triaged_at, accepted_at, "
            "resolved_at, needs_info_since, needs_info_seconds, programme_id, reporter_id, "
            "terms_version_id",
            rows(),
        )
        self._setval("feedback_ticket")

    def _gen_hours(self, g):
        """Time entries over the last year: most confirmed, some waiting, a few disputed."""
        n, own = g.n_hours, g.own["hours"]
        person_of, person_prog, at, days = g.person_of, g.person_prog, g.at, g.days
        prog_pk, prog_terms, base = g.prog_pk, g.prog_terms, g.base
        statuses = ["confirmed"] * 14 + ["logged"] * 5 + ["disputed"]
        activities = ["testing", "writing_feedback", "red_teaming", "creative_work", "meetings"]
        reviewer = self.reviewer.pk

        def rows():
            for k in range(n):
                i = person_of(k, own)
                pi = person_prog[i]
                status = statuses[(k * 11) % 20]
                day = (k * 7) % 365
                created = at(86_400 * day)
                yield (
                    days[day],
                    30 + (k * 37) % 450,
                    activities[k % 5],
                    "",
                    status,
                    created if status != "logged" else None,
                    "Not on that day." if status == "disputed" else "",
                    "",
                    created,
                    created,
                    base + i,
                    prog_pk[pi],
                    reviewer if status != "logged" else None,
                    prog_terms[pi],
                    base + i,
                )

        self._copy(
            "feedback_timeentry",
            "date, minutes, activity, note, status, reviewed_at, dispute_reason, dispute_answer, "
            "created_at, updated_at, participation_id, programme_id, reviewed_by_id, "
            "terms_version_id, user_id",
            rows(),
        )

    def _gen_ledger(self, g):
        """Ledger entries of every kind and state; exported and paid ones sit in batches."""

        n, own = g.n_ledger, g.own["ledger"]
        person_of, person_prog, at, days = g.person_of, g.person_prog, g.at, g.days
        prog_pk, prog_terms, prog_currency = g.prog_pk, g.prog_terms, g.prog_currency
        kinds = ["hourly"] * 60 + ["stipend"] * 15 + ["bounty"] * 10 + ["prize"] * 5
        kinds += ["grant"] * 3 + ["adjustment"] * 7
        states = ["accrued"] * 20 + ["approved"] * 25 + ["exported"] * 15 + ["paid"] * 40
        finance, base = self.finance.pk, g.base
        batches = {}
        for pi, pk in enumerate(prog_pk):
            for currency in g.currencies:
                for status in ("ready", "paid"):
                    batch = PayoutBatch.objects.create(
                        currency=currency,
                        period_start=g.today - timedelta(days=365),
                        period_end=g.today,
                        status=status,
                        created_by=self.finance,
                        paid_reference="BANK-RUN" if status == "paid" else "",
                        paid_at=g.today if status == "paid" else None,
                    )
                    batch.programmes.set([pk])
                    batches[pi, currency, status] = batch.pk
        paid_on = g.today.isoformat()

        def rows():
            for k in range(n):
                i = person_of(k, own)
                pi = person_prog[i]
                kind = kinds[(k * 29) % 100]
                state = states[(k * 41) % 100]
                currency = prog_currency[pi] if k % 20 else "USD"
                cents_ = 500 + (k * 7919) % 20_000
                amount = f"{'-' if kind == 'adjustment' and k % 2 else ''}{cents_ // 100}."
                amount += f"{cents_ % 100:02d}"
                day = (k * 3) % 365
                created = at(86_400 * day)
                approved = state != "accrued"
                batch = (
                    batches[pi, currency, "paid" if state == "paid" else "ready"]
                    if state in ("exported", "paid")
                    else None
                )
                yield (
                    kind,
                    amount,
                    currency,
                    "feedback.timeentry" if kind == "hourly" else "manual",
                    f"bench-{k}",  # pays no real time entry: those are accrued by the bench
                    f"{kind.capitalize()} for work {k}",
                    days[day],
                    f"bench-{k}",
                    created,
                    state,
                    created if approved else None,
                    f"BANK-{k}" if state == "paid" else "",
                    paid_on if state == "paid" else None,
                    finance if approved else None,
                    base + i,
                    prog_pk[pi],
                    prog_terms[pi],
                    batch,
                )

        self._copy(
            "compensation_ledgerentry",
            "kind, amount, currency, source_type, source_id, description, earned_on, "
            "idempotency_key, created_at, state, approved_at, paid_reference, paid_at, "
            "approved_by_id, participation_id, programme_id, terms_version_id, batch_id",
            rows(),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE compensation_payoutbatch b SET entries_count = s.n, total = s.t "
                "FROM (SELECT batch_id, count(*) n, sum(amount) t FROM compensation_ledgerentry "
                "WHERE batch_id IS NOT NULL GROUP BY batch_id) s WHERE s.batch_id = b.id"
            )

    def _gen_audit(self, n_events, n_people, person_prog, prog_pk):
        """Audit events with their keyed hashes, written as the service writes them (no
        position), then sealed into the Merkle tree by the sequencer, as beat would. The
        records generated above came before events bound records (as after the migration):
        the tree says so (`unbound_before`)."""
        key_id, key = current_chain_key()
        base = 1_000_000

        def events():
            start = datetime(2026, 1, 1, tzinfo=UTC)
            for n in range(1, n_events + 1):
                created = start + timedelta(milliseconds=n * 10)
                person = base + n % n_people
                programme = prog_pk[person_prog[n % n_people]]
                data = canonical_data({"n": n, "what": "bench"})
                h = event_hash(
                    key=key,
                    seq=V2,
                    prev_hash="",
                    created_us=epoch_us(created),
                    actor_id=person,
                    action="bench.record.changed",
                    object_type="participants.participation",
                    object_id=str(person),
                    programme_id=programme,
                    subject_id=person,
                    data_json=data,
                )
                yield (
                    created.isoformat(),
                    person,
                    "bench.record.changed",
                    "participants.participation",
                    person,
                    programme,
                    person,
                    data,
                    "",
                    "",
                    "",
                    h,
                    key_id,
                )

        self._copy(
            "audit_auditevent",
            "created_at, actor_id, action, object_type, object_id, programme_id, "
            "subject_id, data_json, record_hash, record_fields, prev_hash, hash, key_id",
            events(),
        )
        sequencer.run()
        mark_unbound()

    # --- measurements -------------------------------------------------------------------------


def mark_unbound() -> None:
    """The bench writes its records straight into their tables, without the events a service
    writes: they count as written before events bound records (as after the migration)."""
    unbound = {}
    for model in binding.bound_models():
        top = model.objects.order_by("-pk").values_list("pk", flat=True).first()
        unbound[model._meta.label_lower] = top or 0
    AuditTree.objects.filter(pk=1).update(unbound_before=unbound)
