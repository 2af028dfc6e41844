"""The ledger CSV that PostgreSQL writes with COPY is the one the Python writer writes."""

import pytest
from django.urls import reverse

from compensation.models import LedgerEntry
from compensation.selectors import ledger_csv_rows
from programs.models import Programme

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


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
    award(participation, "12.30", reason="Best bug")
    award(participation, "0.05", reason="-1.5")
    award(participation2, "7", reason='He said "fine", then left')
    approve(*LedgerEntry.objects.all())
    make_batch()
    award(participation2, "99.99", reason="A correction", kind=LedgerEntry.Kind.ADJUSTMENT)
    Programme.objects.filter(pk=programme.pk).update(name="=SUM(A1) programme")
    client = as_user(finance)
    body = b"".join(client.get(reverse("compensation:entries_csv")).streaming_content).decode()
    qs = LedgerEntry.objects.select_related(
        "programme", "participation__user", "terms_version", "batch"
    ).order_by("pk")
    assert body == "".join(ledger_csv_rows(qs))
    assert body.count("entry id") == 1  # one header, however many COPY slices
    assert "'=SUM(A1) programme" in body
    assert len(body.splitlines()) == 1 + LedgerEntry.objects.count()
