"""Finance can script it (issue 28): approve entries (maker ≠ checker holds), build a batch
with a payment method, import a bank or provider file and read its problems, through the API.
"""

import base64

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from compensation.models import LedgerEntry, PayoutBatch

from .test_money_true_to_the_bank import camt, pain002
from .test_payouts import IBAN_A, IBAN_B, give_details

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_finance_approves_builds_a_sepa_batch_and_settles_it_from_files_through_the_api(
    client,
    participant,
    participant2,
    participation,
    participation2,
    award,
    manager,
    finance,
    programme,
):
    for person, name, iban in ((participant, "Ada", IBAN_A), (participant2, "Emile", IBAN_B)):
        client.force_login(person)
        give_details(client, legal_name=name, iban=iban, country="FR")
    a, b = award(participation, "10.00"), award(participation2, "7.25")
    # The manager who created them may not approve them; finance may.
    mine = api(manager).post(
        reverse("api:ledger-entries-approve"), {"entries": [a.pk, b.pk]}, format="json"
    )
    assert mine.status_code == 200
    assert mine.json()["approved"] == 0
    assert {r["entry"] for r in mine.json()["refused"]} == {a.pk, b.pk}
    done = api(finance).post(
        reverse("api:ledger-entries-approve"), {"entries": [a.pk, b.pk]}, format="json"
    )
    assert done.json() == {"approved": 2, "first_approvals": 0, "refused": []}
    created = api(finance).post(
        reverse("api:batches"),
        {
            "programmes": [programme.slug],
            "currency": "EUR",
            "period_start": TODAY.replace(day=1).isoformat(),
            "period_end": TODAY.isoformat(),
            "method": "sepa",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["method"] == "sepa"
    batch = PayoutBatch.objects.get()
    refs = {line.participation_id: line.end_to_end_id for line in batch.lines.all()}
    url = reverse("api:batch-imports", args=[batch.pk])

    def send(data: bytes):
        return api(finance).post(
            url, {"file_base64": base64.b64encode(data).decode()}, format="json"
        )

    # A statement dated tomorrow is refused and kept with its problem.
    bad = send(
        camt(
            [
                (
                    refs[participation.pk],
                    "10.00",
                    "EUR",
                    "DBIT",
                    TODAY.replace(year=TODAY.year + 1),
                    "",
                )
            ]
        )
    )
    assert bad.status_code == 409
    kept = api(finance).get(url).json()
    assert kept[0]["applied"] is False and "after today" in kept[0]["problems"][0]["problem"]
    # The bank rejects Émile's transfer, then books Ada's.
    rejected = send(pain002({refs[participation2.pk]: "AC04"}))
    assert rejected.status_code == 200 and rejected.json()["taken_out"] == 1
    booked = send(camt([(refs[participation.pk], "10.00", "EUR", "DBIT", TODAY, "")]))
    assert booked.json()["paid"] == 1
    batch.refresh_from_db()
    assert batch.status == "paid"
    assert LedgerEntry.objects.get(pk=b.pk).state == "approved"
    assert [row["applied"] for row in api(finance).get(url).json()] == [True, True, False]
    assert api(participant).get(url).status_code == 404
    garbled = api(finance).post(url, {"file_base64": "not base64 !"}, format="json")
    assert garbled.status_code == 422 and "not base64" in garbled.json()["detail"]
