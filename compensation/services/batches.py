"""Payout batches: approved entries locked into one export per currency and period, its
payee lines and files built (in the background for big batches), and built again after a
failure.

A batch spans programmes; it is built and settled by a person who is finance of every one
of them (`policy.require_in_every`). Lines are written set-based by the database.
"""

import csv
import hashlib
import io
import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from audit.services import Entry, record, record_many
from core.csvsafe import safe_cell
from core.encryption import decrypt_json, encrypt_bytes
from core.errors import DomainError, NotAllowed
from core.services import enqueue_after_commit
from participants.models import Participation
from programs import policy, signals
from programs.downloads import Download

from .. import bankfiles
from ..models import LedgerEntry, PayoutBatch, PayoutDetails, PayoutLine, cents, money_sum
from .ledger import CHUNK, E, checked_currency
from .tax_status import without_tax_status_owed

# Batches with more entries than this are built by a background task.
BACKGROUND_ENTRIES = 500
BATCH_COLUMNS = [
    "batch id",
    "payee id",
    "name",
    "email",
    "payout reference",
    "amount",
    "currency",
    "period",
    "number of entries",
]
# Payees per INSERT … SELECT of `write_lines`: each chunk commits and moves the progress bar.
LINE_CHUNK = 10_000


# --- Which entries a batch takes -----------------------------------------------------------


def batch_candidates(
    *,
    programmes,
    currency: str,
    period_start: date,
    period_end: date,
    method: str = PayoutBatch.Method.FILE,
    tax_gate: bool = True,
):
    """Approved, not yet exported entries of these programmes that a batch of the period
    takes (all currencies; the caller narrows to one).

    - The period's entries, and for the same payees whatever was held back before it (a
      negative balance carries forward to their next payout).
    - An entry whose reversal is not approved yet waits for it, and a reversal waits for
      its entry: the two are exported and settled together.
    - A payee whose entries come to less than zero is left out; the balance carries
      forward, shown on their statement. No batch has a negative line.
    - A SEPA, PayPal or Wise batch takes only the payees whose payout details name that
      method; the others wait for a batch of their method (or a CSV one).
    - In a programme that requires a tax status, a payee without a valid one of its kinds
      waits (`tax_gate=False` gives what the batch would take without that rule).
    """
    approved = LedgerEntry.objects.filter(
        programme__in=programmes, state=E.APPROVED, batch__isnull=True
    )
    if tax_gate:
        approved = without_tax_status_owed(approved, programmes)
    if method != PayoutBatch.Method.FILE:
        kinds = [k for k, m in PayoutDetails.BATCH_METHOD.items() if m == method]
        approved = approved.filter(participation__user__payout_details__method__in=kinds)
    in_period = approved.filter(earned_on__gte=period_start, earned_on__lte=period_end)
    payees = in_period.values("participation_id")
    rows = approved.filter(earned_on__lte=period_end, participation_id__in=payees)
    rows = rows.exclude(reversals__state=E.ACCRUED).exclude(reverses__state=E.ACCRUED)
    negative = (
        rows.values("participation_id", "currency").annotate(net=money_sum()).filter(net__lt=0)
    )
    held = [(r["participation_id"], r["currency"]) for r in negative]
    for participation_id, held_currency in held:
        rows = rows.exclude(participation_id=participation_id, currency=held_currency)
    return rows


def batch_tax_waiting(**request) -> list[Participation]:
    """The payees a batch with these choices (its currency included) would pay but for a
    missing tax status."""
    currency = request["currency"]
    without = (
        batch_candidates(**request, tax_gate=False)
        .filter(currency=currency)
        .values("participation_id")
    )
    with_gate = batch_candidates(**request).filter(currency=currency).values("participation_id")
    return list(
        Participation.objects.filter(pk__in=without)
        .exclude(pk__in=with_gate)
        .select_related("user", "programme")
        .order_by("programme__name", "user__email")
    )


# --- Creating a batch ----------------------------------------------------------------------


def _check_batch_request(*, actor, programmes, period_start, period_end):
    programmes = list(programmes)
    if not programmes:
        raise DomainError("Choose at least one programme.", field="programmes")
    policy.require_in_every(actor, "payouts", programmes)
    if period_start is None or period_end is None or period_start > period_end:
        raise DomainError("The period's start must be on or before its end.", field="period_end")
    return programmes


def _check_method(method: str, currency: str) -> str:
    """The batch's currency, normalised, once its payout method can pay it."""
    currency = checked_currency(currency)
    if method not in PayoutBatch.Method.values:
        raise DomainError(f"“{method}” is not a payout method.", field="method")
    bankfiles.check_method_currency(method, currency)
    if method == PayoutBatch.Method.SEPA and not settings.PAYOUT_DEBTOR_IBAN:
        raise DomainError(
            "SEPA files need the account money is paid from: set PAYOUT_DEBTOR_IBAN.",
            field="method",
        )
    return currency


def batch_check(
    *,
    actor,
    programmes,
    currency: str,
    period_start: date,
    period_end: date,
    method: str = PayoutBatch.Method.FILE,
    sepa_version: str = "",
):
    """Every rule a new batch must pass, without building it: the preview runs it and so
    does `batch_create`, so what the preview says goes into a batch does. Returns
    (programmes, currency, the candidate entries of that currency)."""
    programmes = _check_batch_request(
        actor=actor, programmes=programmes, period_start=period_start, period_end=period_end
    )
    currency = _check_method(method, currency)
    if sepa_version and sepa_version not in bankfiles.SEPA_VERSIONS:
        raise DomainError(f"“{sepa_version}” is not a pain.001 version we write.", field="method")
    candidates = batch_candidates(
        programmes=programmes,
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        method=method,
    )
    policy.require_not_paid_by(
        actor,
        candidates.filter(currency=currency).values_list("participation__user_id", flat=True),
        where=" (approved entries of yours are in it)",
    )
    return programmes, currency, candidates


def _claim_entries(batch: PayoutBatch, programmes) -> tuple[int, Decimal]:
    """Lock the matching approved entries and claim them for `batch`: (entries, total).

    The rows are locked (SELECT … FOR UPDATE) and claimed with UPDATE … WHERE batch_id IS
    NULL, so a concurrent batch waits and then finds them taken.
    """
    matching = batch_candidates(
        programmes=programmes,
        currency=batch.currency,
        period_start=batch.period_start,
        period_end=batch.period_end,
        method=batch.method,
    ).filter(currency=batch.currency)
    ids = list(
        LedgerEntry.objects.filter(pk__in=matching.values("pk"))
        .select_for_update(skip_locked=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    claimed = LedgerEntry.objects.filter(
        pk__in=ids, batch__isnull=True, state=E.APPROVED
    ).workflow_update(batch=batch, state=E.EXPORTED)
    if not claimed:
        raise DomainError(
            "No approved entry waits for export in that period and currency.", code="empty"
        )
    total = cents(LedgerEntry.objects.filter(batch=batch).aggregate(t=money_sum())["t"])
    rows = LedgerEntry.objects.filter(batch=batch).values("participation").distinct().count()
    PayoutBatch.objects.filter(pk=batch.pk).update(
        entries_count=claimed, total=total, rows_total=rows
    )
    return claimed, total


@transaction.atomic
def batch_create(
    *,
    actor,
    programmes,
    currency: str,
    period_start: date,
    period_end: date,
    method: str = PayoutBatch.Method.FILE,
    sepa_version: str = "",
    background: bool | None = None,
) -> PayoutBatch:
    """Lock every matching approved entry into a new batch, then build its file.

    Two batches created at the same moment never share an entry: the rows are
    locked (SELECT … FOR UPDATE) and claimed with UPDATE … WHERE batch_id IS NULL,
    so a concurrent batch waits and then finds them taken. Nobody builds a batch that
    would pay themselves (`batch_check`).
    """
    programmes, currency, _ = batch_check(
        actor=actor,
        programmes=programmes,
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        method=method,
        sepa_version=sepa_version,
    )
    batch = PayoutBatch.objects.create(
        method=method,
        sepa_version=sepa_version or bankfiles.SEPA_VERSIONS[0],
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        created_by=actor,
    )
    batch.programmes.set(programmes)
    claimed, total = _claim_entries(batch, programmes)
    record(
        action="compensation.batch.created",
        obj=batch,
        actor=actor,
        data={
            "programmes": [p.slug for p in programmes],
            "currency": currency,
            "method": method,
            "file_version": batch.sepa_version if method == PayoutBatch.Method.SEPA else "",
            "period": f"{period_start}..{period_end}",
            "entries": claimed,
            "total": str(total),
        },
    )
    if background is None:
        background = claimed > BACKGROUND_ENTRIES
    if background:
        from ..tasks import build_batch  # tasks import the services: a cycle at import

        enqueue_after_commit(build_batch, batch.pk)
    else:
        batch_build(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def batch_file(*, actor, batch: PayoutBatch, variant: str) -> Download | None:
    """A batch's file, or None when it has none in `variant`. The CSV and XLSX go to those
    who see the batch, the bank's or provider's file (account numbers in full) only to
    finance of every programme in it; never to one of its payees. Every download is audited
    with the file's checksum."""
    action = "view" if variant in ("csv", "xlsx") else "payouts"
    if not PayoutBatch.objects.restrict(actor, action).filter(pk=batch.pk).exists():
        policy.require_two_factor(actor)
        raise NotAllowed("Only finance of every programme in this batch may take this file.")
    policy.require_not_paid_by(actor, batch.lines.values_list("participation__user_id", flat=True))
    download = batch.download(variant)
    if download is not None:
        record(
            action="compensation.batch.downloaded",
            obj=batch,
            actor=actor,
            data={"file": variant, "sha256": download.checksum},
        )
    return download


# --- Building its lines and files ----------------------------------------------------------


def _batch_files(batch: PayoutBatch) -> tuple[bytes, bytes]:
    """The CSV and XLSX of a batch, one row per payee, formula-looking text escaped."""
    from openpyxl import Workbook  # heavy, and only a batch build needs it

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(BATCH_COLUMNS)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"Batch {batch.pk}")
    sheet.append(BATCH_COLUMNS)
    period = batch.period_label
    # Tuples, not model instances: a big batch has 100,000 lines.
    rows = batch.lines.order_by("participation_id").values_list(
        "participation_id",
        "name",
        "email",
        "payout_reference",
        "amount",
        "currency",
        "entries_count",
    )
    for payee, name, email, reference, amount, currency, entries in rows.iterator(
        chunk_size=5 * CHUNK
    ):
        cells = [
            batch.pk,
            payee,
            safe_cell(name),
            safe_cell(email),
            safe_cell(reference),
            amount,
            currency,
            period,
            entries,
        ]
        writer.writerow([f"{c:.2f}" if isinstance(c, Decimal) else c for c in cells])
        sheet.append(cells)
    xlsx = io.BytesIO()
    book.save(xlsx)
    return text.getvalue().encode("utf-8"), xlsx.getvalue()


def _provider_file(batch: PayoutBatch) -> bytes:
    """The bank's or provider's file of a method batch, from the details copied on its lines."""
    lines = [
        (line, decrypt_json(line.details_secret))
        for line in batch.lines.order_by("participation_id")
    ]
    return bankfiles.WRITERS[batch.method](batch, lines)


def _sealed(data: bytes) -> ContentFile:
    """A payout file as it is stored: encrypted with the payout-details keys (it holds names,
    emails and account numbers); `PayoutBatch.download` opens it."""
    return ContentFile(encrypt_bytes(data).encode())


def _save_files(batch: PayoutBatch) -> None:
    """Write the batch's CSV, XLSX and (for a method batch) provider file, encrypted, with
    the sha256 of what finance downloads."""
    csv_bytes, xlsx_bytes = _batch_files(batch)
    stamp = uuid.uuid4().hex[:12]
    if batch.provider_variant:
        provider_bytes = _provider_file(batch)
        batch.provider_file.save(
            f"batch-{batch.pk}-{stamp}.{batch.provider_variant}.enc",
            _sealed(provider_bytes),
            save=False,
        )
        batch.provider_sha256 = hashlib.sha256(provider_bytes).hexdigest()
    batch.csv_file.save(f"batch-{batch.pk}-{stamp}.csv.enc", _sealed(csv_bytes), save=False)
    batch.xlsx_file.save(f"batch-{batch.pk}-{stamp}.xlsx.enc", _sealed(xlsx_bytes), save=False)
    batch.csv_sha256 = hashlib.sha256(csv_bytes).hexdigest()
    batch.xlsx_sha256 = hashlib.sha256(xlsx_bytes).hexdigest()


def _mark_ready(batch: PayoutBatch) -> None:
    """The built batch is ready to pay: saved, audited, announced to each programme."""
    batch.rows_done = batch.rows_total = batch.lines.count()
    batch.status = PayoutBatch.Status.READY
    batch.error = ""
    batch.save(
        update_fields=[
            "csv_file",
            "xlsx_file",
            "csv_sha256",
            "xlsx_sha256",
            "provider_file",
            "provider_sha256",
            "rows_done",
            "rows_total",
            "status",
            "error",
        ]
    )
    record(
        action="compensation.batch.ready",
        obj=batch,
        data={"lines": batch.rows_total, "csv_sha256": batch.csv_sha256, "total": str(batch.total)},
    )
    for programme in batch.programmes.all():
        signals.batch_exported.send(
            PayoutBatch,
            programme=programme,
            payload=signals.BatchExported(
                batch=batch.pk,
                currency=batch.currency,
                lines=batch.rows_total,
                total=str(batch.total),
                csv_sha256=batch.csv_sha256,
            ),
        )


def batch_build(*, batch_id: int) -> PayoutBatch:
    """Write the batch's payee lines and files (in the background for big batches).

    Lines are written by the database, `LINE_CHUNK` payees at a time (`write_lines`), each
    chunk committed with the progress (`rows_done`) so finance can watch it. Safe to run
    again: a batch that is no longer building is left alone, and a half-built one starts
    over.
    """
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != PayoutBatch.Status.BUILDING:
            return batch
        PayoutLine.objects.filter(batch=batch).delete()
        PayoutBatch.objects.filter(pk=batch_id).update(rows_done=0)
    try:
        write_lines(batch_id=batch_id, currency=batch.currency)
        with transaction.atomic():
            batch = PayoutBatch.objects.select_for_update().get(pk=batch_id)
            if batch.status != PayoutBatch.Status.BUILDING:
                return batch
            _save_files(batch)
            _mark_ready(batch)
    except Exception as exc:
        # The entries stay in the batch (they were exported); finance sees the failure and
        # can build it again.
        PayoutBatch.objects.filter(pk=batch_id).update(
            status=PayoutBatch.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return batch


@transaction.atomic
def batch_retry(*, actor, batch: PayoutBatch) -> PayoutBatch:
    """Build a failed batch again, in the background."""
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    policy.require_in_every(actor, "payouts", batch.programmes.all())
    if PayoutBatch.Status.BUILDING not in PayoutBatch.TRANSITIONS[batch.status]:
        raise DomainError(f"Batch {batch.pk} is {batch.get_status_display().lower()}, not failed.")
    PayoutBatch.objects.filter(pk=batch.pk).update(status=PayoutBatch.Status.BUILDING, error="")
    record(action="compensation.batch.retried", obj=batch, actor=actor, data={})
    from ..tasks import build_batch  # tasks import the services: a cycle at import

    enqueue_after_commit(build_batch, batch.pk)
    batch.refresh_from_db()
    return batch


def _lines_sql() -> str:
    """One INSERT … SELECT writing the lines of a range of payees: their entries in the batch
    summed and counted, with the payee's name, email, payout reference and payout details as
    they are now (a batch keeps the details it was built with). Plain SQL that SQLite and
    PostgreSQL both run."""
    user = get_user_model()._meta.db_table
    return f"""
        INSERT INTO {PayoutLine._meta.db_table}
            (batch_id, participation_id, name, email, payout_reference, amount, currency,
             entries_count, paid_reference, paid_at, details_secret, details_masked,
             state, outcome_reason, outcome_on)
        SELECT %s, s.pid,
               SUBSTR(COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''),
                               u.username), 1, 300),
               u.email, p.payout_reference, ROUND(s.total, 2), %s, s.n, '', NULL,
               COALESCE(d.secret, ''), COALESCE(d.masked, ''), 'sent', '', NULL
        FROM (SELECT participation_id AS pid, SUM(amount) AS total, COUNT(*) AS n
              FROM {LedgerEntry._meta.db_table}
              WHERE batch_id = %s AND participation_id BETWEEN %s AND %s
              GROUP BY participation_id) s
        JOIN {Participation._meta.db_table} p ON p.id = s.pid
        JOIN {user} u ON u.id = p.user_id
        LEFT JOIN {PayoutDetails._meta.db_table} d ON d.user_id = u.id
        ORDER BY s.pid
    """


def write_lines(*, batch_id: int, currency: str) -> int:
    """Every payee's line of a batch, written set-based: one query for the payees, then one
    INSERT … SELECT per `LINE_CHUNK` of them, each committed with the progress. No query and
    no Python object per line. Returns the number of lines."""
    payees = list(
        LedgerEntry.objects.filter(batch_id=batch_id)
        .order_by("participation_id")
        .values_list("participation_id", flat=True)
        .distinct()
    )
    sql = _lines_sql()
    for start in range(0, len(payees), LINE_CHUNK):
        chunk = payees[start : start + LINE_CHUNK]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [batch_id, currency, batch_id, chunk[0], chunk[-1]])
            _bind_lines(batch_id, chunk)
            PayoutBatch.objects.filter(pk=batch_id).update(rows_done=start + len(chunk))
    return len(payees)


def _bind_lines(batch_id: int, chunk: list[int]) -> None:
    """One event per line just written (one read and one insert for the chunk), binding the
    line as it was made: `audit_verify` names the line whose amount or payee changed since."""
    fields = PayoutLine.AUDIT_BOUND_FIELDS
    rows = PayoutLine.objects.filter(
        batch_id=batch_id, participation_id__gte=chunk[0], participation_id__lte=chunk[-1]
    ).values("pk", "participation__programme_id", "participation__user_id", *fields)
    record_many(
        [
            Entry(
                action="compensation.line.sent",
                object_type=PayoutLine._meta.label_lower,
                object_id=str(row["pk"]),
                programme_id=row["participation__programme_id"],
                subject_id=row["participation__user_id"],
                data={"batch": batch_id, "amount": str(row["amount"]), "currency": row["currency"]},
                binds=(PayoutLine, row["pk"], row),
            )
            for row in rows.order_by("pk").iterator(CHUNK)
        ]
    )


def batch_files_forget(*, today: date | None = None) -> int:
    """Delete the files of every batch paid more than `PAYOUT_FILE_RETENTION_DAYS` ago (they
    hold payees' names, emails and accounts). The batch, its lines, the files' checksums and
    the audit events stay. Returns how many batches lost their files."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=settings.PAYOUT_FILE_RETENTION_DAYS)
    done = 0
    old = PayoutBatch.objects.filter(status=PayoutBatch.Status.PAID, paid_at__lt=cutoff)
    for batch in old.exclude(csv_file="", xlsx_file="", provider_file="").iterator():
        files = [f for f in (batch.csv_file, batch.xlsx_file, batch.provider_file) if f]
        names = [f.name for f in files]
        for f in files:
            f.delete(save=False)
        PayoutBatch.objects.filter(pk=batch.pk).update(csv_file="", xlsx_file="", provider_file="")
        record(
            action="compensation.batch.files_deleted",
            obj=batch,
            data={"files": names, "paid_at": batch.paid_at, "kept_until": cutoff.isoformat()},
        )
        done += 1
    return done
