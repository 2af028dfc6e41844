"""The finance CSVs opened the way finance opens them: LibreOffice, headless."""

import shutil
import subprocess
from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from participants.models import Participation
from programs.models import Programme

from .conftest import stored

pytestmark = pytest.mark.django_db


def _open_in_libreoffice(tmp_path, name: str, data: bytes):
    """The CSV converted to XLSX by LibreOffice: its first sheet's rows, as values."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is not installed; this test needs it"
    source = tmp_path / f"{name}.csv"
    source.write_bytes(data)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return load_workbook(tmp_path / f"{name}.xlsx").active


def test_the_batch_csv_opens_in_libreoffice_with_the_same_totals_and_no_formulas(
    tmp_path, participant, participation, participation2, award, approve, make_batch
):
    participant.first_name = '=HYPERLINK("http://evil.example","click")'
    participant.save()
    Participation.objects.filter(pk=participation2.pk).update(payout_reference="-2+3")
    approve(
        award(participation, "0.10"),
        award(participation, "0.20"),
        award(participation2, "1234.56"),
        award(participation2, "-0.01", kind="adjustment"),
    )
    batch = make_batch()
    sheet = _open_in_libreoffice(tmp_path, "batch", stored(batch, "csv"))
    rows = list(sheet.iter_rows(values_only=True))
    header, lines = rows[0], rows[1:]
    amount = header.index("amount")
    total = sum(Decimal(str(row[amount])).quantize(Decimal("0.01")) for row in lines)
    assert total == batch.total == Decimal("1234.85")
    assert sorted(Decimal(str(r[amount])).quantize(Decimal("0.01")) for r in lines) == [
        Decimal("0.30"),
        Decimal("1234.55"),
    ]
    # Nothing LibreOffice read is a formula; the dangerous name stayed text.
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    names = [r[header.index("name")] for r in lines]
    assert any(str(n).lstrip("'").startswith("=HYPERLINK") for n in names)
    refs = [r[header.index("payout reference")] for r in lines]
    assert "-2+3" in [str(r).lstrip("'") for r in refs if r]
    print(f"FIGURE compensation libreoffice: {len(lines)} payees, total {total} EUR matches ledger")


def test_the_ledger_csv_opens_with_times_as_times_numbers_as_numbers_and_no_formulas(
    tmp_path, as_user, finance, programme, participation, award
):
    award(participation, "12.30", reason="Best bug")
    award(participation, "-0.05", kind="adjustment", reason="Rounding")
    Programme.objects.filter(pk=programme.pk).update(name="=SUM(A1) programme")
    response = as_user(finance).get(reverse("compensation:entries_csv"))
    sheet = _open_in_libreoffice(tmp_path, "ledger", b"".join(response.streaming_content))
    rows = list(sheet.iter_rows(values_only=True))
    header, lines = rows[0], rows[1:]
    assert len(lines) == 2
    created = [r[header.index("created (UTC)")] for r in lines]
    assert all(isinstance(c, datetime) for c in created), created
    assert sorted(Decimal(str(r[header.index("amount")])) for r in lines) == [
        Decimal("-0.05"),
        Decimal("12.3"),
    ]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert {str(r[header.index("programme")]).lstrip("'") for r in lines} == {"=SUM(A1) programme"}
