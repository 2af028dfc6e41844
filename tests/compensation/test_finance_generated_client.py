"""Finance can script it (issue 28), through a Python client generated from the live schema
with openapi-python-client: approve entries (the manager who created them may not), build
a SEPA batch, import the bank's pain.002 and camt.053 and read their problems, match the
unmatched bank line by hand (someone other than the builder), and pay the rejected line
again in a batch marked paid by hand.
"""

import base64
import importlib
import sys

import pytest
from django.utils import timezone

from api.services import token_create
from compensation import services
from compensation.models import LedgerEntry, PayoutBatch
from programs.models import ProgrammeRole
from tests.api.test_generated_client import _generate
from tests.factories import make_participant, make_staff

from .test_money_true_to_the_bank import camt, pain002
from .test_payouts import IBAN_A, IBAN_B

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = timezone.localdate()


@pytest.fixture
def tt(live_server, tmp_path):
    """The generated client's package, importable for the test, forgotten after it."""
    _generate(live_server, tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name: importlib.import_module(f"tt_client.{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("tt_client")]:
            del sys.modules[name]


def _people(programme):
    payees = []
    for email, iban in (
        ("ada@example.com", IBAN_A),
        ("emile@example.com", IBAN_B),
        ("cleo@example.com", "FR7630006000011234567890189"),
    ):
        person = make_participant(programme, email=email)
        services.payout_details_set(
            actor=person,
            legal_name=email.split("@")[0].title(),
            country="FR",
            method="bank",
            iban=iban,
        )
        payees.append(person)
    return payees


def test_finance_scripts_a_payout_through_the_generated_client(
    live_server, tt, programme, settings
):
    settings.REQUIRE_STAFF_MFA = False
    manager = make_staff(programme, ProgrammeRole.Role.MANAGER, email="boss@example.com")
    builder = make_staff(programme, ProgrammeRole.Role.FINANCE, email="clerk@example.com")
    checker = make_staff(programme, ProgrammeRole.Role.FINANCE, email="checker@example.com")
    ada, emile, cleo = _people(programme)
    entries = [
        services.award_create(
            actor=manager,
            participation=person.participations.get(programme=programme),
            kind="prize",
            amount=amount,
            currency="EUR",
            reason="Prize",
        )
        for person, amount in ((ada, "10.00"), (emile, "7.25"), (cleo, "3.00"))
    ]
    ids = [e.pk for e in entries]
    client = tt("client")
    v1 = {
        name: tt(f"api.v1.{name}")
        for name in (
            "v1_ledger_entries_approve_create",
            "v1_batches_create",
            "v1_batches_retrieve",
            "v1_batches_imports_create",
            "v1_batches_imports_list",
            "v1_batches_mark_paid_create",
            "v1_bank_imports_match_create",
        )
    }
    models = tt("models")

    def as_(user):
        token = token_create(actor=user, name="script", scope="write")[1]
        return client.AuthenticatedClient(base_url=live_server.url, token=token)

    # Maker ≠ checker: the manager who created the prizes may not approve them.
    approve = v1["v1_ledger_entries_approve_create"]
    refused = approve.sync(client=as_(manager), body=models.EntriesApproveInputRequest(ids))
    assert refused.approved == 0 and {r.entry for r in refused.refused} == set(ids)
    done = approve.sync(client=as_(builder), body=models.EntriesApproveInputRequest(ids))
    assert (done.approved, done.refused) == (3, [])

    clerk, other = as_(builder), as_(checker)
    created = v1["v1_batches_create"].sync(
        client=clerk,
        body=models.BatchInputRequest(
            programmes=[programme.slug],
            currency="EUR",
            period_start=TODAY.replace(day=1),
            period_end=TODAY,
            method="sepa",
        ),
    )
    assert created.method == "sepa"
    batch = v1["v1_batches_retrieve"].sync(created.id, client=clerk)
    assert batch.status == "ready" and [line.state for line in batch.lines] == ["sent"] * 3
    e2e = {line.amount: line.end_to_end_id for line in batch.lines}
    keys = {line.amount: line.line_key for line in batch.lines}

    def send(who, data: bytes):
        body = models.BankFileInputRequest(base64.b64encode(data).decode())
        return v1["v1_batches_imports_create"].sync_detailed(created.id, client=who, body=body)

    # The bank rejects Cléo's transfer (pain.002), then books Ada's, and Émile's under a
    # reference it garbled: that bank line settles nothing and is listed as a problem.
    rejected = send(clerk, pain002({e2e["3.00"]: "AC04"}))
    assert rejected.status_code == 200 and rejected.parsed.taken_out == 1
    booked = send(
        clerk,
        camt(
            [
                (e2e["10.00"], "10.00", "EUR", "DBIT", TODAY, ""),
                ("TT-GARBLED", "7.25", "EUR", "DBIT", TODAY, ""),
            ]
        ),
    )
    assert booked.status_code == 200 and booked.parsed.paid == 1
    kept = v1["v1_batches_imports_list"].sync(created.id, client=clerk)
    problem = kept[0].problems[0]
    assert problem["reference"] == "TT-GARBLED" and problem["amount"] == "7.25"

    # The builder may not match it by hand; a colleague in finance does.
    match = v1["v1_bank_imports_match_create"]
    body = models.ImportMatchInputRequest(problem=0, line_key=keys["7.25"])
    mine = match.sync_detailed(kept[0].id, client=clerk, body=body)
    assert mine.status_code == 403 and b"someone else in finance" in mine.content
    matched = match.sync_detailed(kept[0].id, client=other, body=body)
    assert matched.status_code == 200, matched.content
    assert matched.parsed.problems[0]["matched_line"]
    batch = v1["v1_batches_retrieve"].sync(created.id, client=clerk)
    assert batch.status == "paid"
    assert sorted((line.amount, line.state) for line in batch.lines) == [
        ("10.00", "paid"),
        ("3.00", "failed"),
        ("7.25", "paid"),
    ]
    assert batch.lines[[x.amount for x in batch.lines].index("3.00")].outcome_reason

    # Cléo's prize is owed again; the next batch (a file paid by hand) carries it.
    assert LedgerEntry.objects.get(pk=entries[2].pk).state == "approved"
    again = v1["v1_batches_create"].sync(
        client=clerk,
        body=models.BatchInputRequest(
            programmes=[programme.slug],
            currency="EUR",
            period_start=TODAY.replace(day=1),
            period_end=TODAY,
            method="file",
        ),
    )
    mark = v1["v1_batches_mark_paid_create"]
    future = mark.sync_detailed(
        again.id,
        client=clerk,
        body=models.MarkPaidInputRequest(
            reference="T-2", paid_on=TODAY.replace(year=TODAY.year + 1)
        ),
    )
    assert future.status_code == 422 and b"in the future" in future.content
    paid = mark.sync(
        again.id, client=clerk, body=models.MarkPaidInputRequest(reference="T-2", paid_on=TODAY)
    )
    assert paid.status == "paid" and [(x.amount, x.state) for x in paid.lines] == [("3.00", "paid")]
    assert PayoutBatch.objects.filter(status="paid").count() == 2
    assert LedgerEntry.objects.get(pk=entries[2].pk).state == "paid"
    # Cléo cannot mark anything paid, nor see the batch.
    assert (
        mark.sync_detailed(
            again.id,
            client=as_(cleo),
            body=models.MarkPaidInputRequest(reference="T-3", paid_on=TODAY),
        ).status_code
        == 404
    )
