"""The batch CSV opened the way finance opens it: LibreOffice, headless."""

import shutil
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from participants.models import Participation

pytestmark = pytest.mark.django_db


def test_the_batch_csv_opens_in_libreoffice_with_the_same_totals_and_no_formulas(
    tmp_path, participant, participation, participation2, award, approve, make_batch
):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is not installed; this test needs it"
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
    source = tmp_path / "batch.csv"
    source.write_bytes(batch.csv_file.open("rb").read())
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
    sheet = load_workbook(tmp_path / "batch.xlsx").active
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
    formulas = load_workbook(tmp_path / "batch.xlsx").active
    assert all(c.data_type != "f" for row in formulas.iter_rows() for c in row)
    names = [r[header.index("name")] for r in lines]
    assert any(str(n).lstrip("'").startswith("=HYPERLINK") for n in names)
    refs = [r[header.index("payout reference")] for r in lines]
    assert "-2+3" in [str(r).lstrip("'") for r in refs if r]
    print(f"FIGURE compensation libreoffice: {len(lines)} payees, total {total} EUR matches ledger")
