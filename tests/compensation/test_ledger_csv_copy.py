"""The ledger CSV that PostgreSQL writes with COPY is the one the Python writer writes."""

import csv
import io

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from compensation import services
from compensation.models import LedgerEntry
from compensation.selectors import _SAFE, ledger_csv_rows
from core.csvsafe import safe_cell
from participants.models import Participation
from programs.models import Programme

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Text that starts like a formula, plain numbers that must stay numbers, and ordinary text.
CELLS = [
    "Best bug",
    "-1.5",
    "+3",
    "1e5",
    "-.5E-3",
    "-inf",
    "-1.5\n",
    '=HYPERLINK("http://x")',
    "@SUM(A1)",
    "+1 555 0100",
    "\tindented",
    "\rreturn",
    "- a list item",
    'He said "fine", then left',
    "",
]


@pytest.mark.parametrize("text", CELLS)
def test_postgresql_and_python_escape_the_same_cells(text):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_SAFE.format(c='%s::text')}", [text] * 4)
        (in_sql,) = cursor.fetchone()
    assert (in_sql or "") == safe_cell(text)


@pytest.mark.parametrize("slice_ids", [250_000, 2], ids=["one-slice", "slices-of-2-ids"])
def test_the_copy_export_matches_the_python_writer_cell_for_cell(
    as_user,
    finance,
    programme,
    participation,
    participation2,
    award,
    approve,
    make_batch,
    monkeypatch,
    slice_ids,
):
    monkeypatch.setattr("compensation.views.LEDGER_SLICE_IDS", slice_ids)
    Participation.objects.filter(pk=participation.pk).update(payout_reference="PAYEE-A")
    Participation.objects.filter(pk=participation2.pk).update(payout_reference="PAYEE-B")
    for i, text in enumerate(CELLS):
        award(participation if i % 2 else participation2, f"{i + 1}.{i:02d}", reason=text or "-")
    approve(*LedgerEntry.objects.all())
    batch = make_batch()
    services.batch_mark_paid(
        actor=finance, batch=batch, reference="=PAY-1", paid_on=timezone.localdate()
    )
    award(participation2, "99.99", reason="A correction", kind=LedgerEntry.Kind.ADJUSTMENT)
    Programme.objects.filter(pk=programme.pk).update(name="=SUM(A1) programme")
    client = as_user(finance)
    body = b"".join(client.get(reverse("compensation:entries_csv")).streaming_content).decode()
    qs = LedgerEntry.objects.select_related(
        "programme", "participation__user", "terms_version", "batch"
    ).order_by("pk")
    assert body == "".join(ledger_csv_rows(qs))
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == LedgerEntry.objects.count()
    assert body.count("entry id") == 1  # one header, however many COPY slices
    assert {r["programme"] for r in rows} == {"'=SUM(A1) programme"}
    paid = [r for r in rows if r["state"] == "paid"]
    assert paid and all(r["paid reference"] == "'=PAY-1" for r in paid)
    # Times are UTC to the second, which a spreadsheet reads as a date and time.
    assert all(len(r["created (UTC)"]) == 19 and r["created (UTC)"][10] == "T" for r in rows)
    assert {r["paid on"] for r in paid} == {timezone.localdate().isoformat()}
