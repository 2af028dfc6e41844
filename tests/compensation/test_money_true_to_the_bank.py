"""Money true to the bank (issue 28), through the finance pages as a finance clerk and as a
dishonest insider would use them: a payout line follows the bank (sent → paid | failed |
returned, the last two owed again and paid in the next batch), a return after settlement
is recorded, nobody settles a batch that pays themselves, files at rest hold no secrets,
bank files are checked like forms (and kept, with a hand match), the preview runs the
check the batch's creation runs, and SEPA files come in the current pain.001 version.
"""

import hashlib
import os
from datetime import timedelta

import pytest
import sepaxml
import xmlschema
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from compensation.models import BankFileImport, LedgerEntry, PayoutBatch
from core.models import OutboxMessage
from participants.models import Participation
from programs.models import ProgrammeRole
from tests.conftest import summarise
from tests.factories import make_participant, make_staff

from .test_payouts import IBAN_A, IBAN_B, build_through_the_page, give_details, upload

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SCHEMAS = os.path.join(os.path.dirname(sepaxml.__file__), "schemas")


def camt(transactions, *, kind="053", iban=None) -> bytes:
    """A camt.053 statement or camt.054 debit/credit notification of the payout account:
    [(end-to-end id, amount, ccy, "DBIT"|"CRDT", booked on, return reason)]."""
    from django.conf import settings

    iban = iban or settings.PAYOUT_DEBTOR_IBAN
    entries = []
    for n, (e2e, amount, currency, indicator, booked, reason) in enumerate(transactions, 1):
        returned = f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>" if reason else ""
        entries.append(
            f"""<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>
<Sts>BOOK</Sts><BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt>
<AcctSvcrRef>BANK-{n}</AcctSvcrRef><BkTxCd/><NtryDtls><TxDtls><Refs>
<EndToEndId>{e2e}</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy="{currency}">{amount}</Amt>
</TxAmt></AmtDtls>{returned}</TxDtls></NtryDtls></Ntry>"""
        )
    root, report = (
        ("BkToCstmrStmt", "Stmt") if kind == "053" else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    )
    version = "camt.053.001.02" if kind == "053" else "camt.054.001.02"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}"><{root}>
<GrpHdr><MsgId>M-1</MsgId><CreDtTm>{TODAY}T06:00:00</CreDtTm></GrpHdr>
<{report}><Id>S1</Id><CreDtTm>{TODAY}T06:00:00</CreDtTm>
<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
{"".join(entries)}
</{report}></{root}></Document>""".encode()


def pain002(rejected: dict[str, str]) -> bytes:
    """A pain.002 status report rejecting {end-to-end id: reason code}."""
    txs = "".join(
        f"<TxInfAndSts><StsId>S-{n}</StsId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>"
        f"<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf></TxInfAndSts>"
        for n, (e2e, code) in enumerate(rejected.items(), 1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
<GrpHdr><MsgId>R-1</MsgId><CreDtTm>{TODAY}T06:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>X</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
</OrgnlGrpInfAndSts><OrgnlPmtInfAndSts><OrgnlPmtInfId>P</OrgnlPmtInfId>{txs}
</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>""".encode()


@pytest.fixture
def sepa_batch(client, participant, participant2, participation, participation2, award, approve):
    """A SEPA batch of two payees (10.50 and 7.25 EUR), built by finance through the page."""
    client.force_login(participant)
    give_details(client, legal_name="Ada Tester", iban=IBAN_A)
    client.force_login(participant2)
    give_details(client, legal_name="Émile Testeur", iban=IBAN_B, country="FR")
    approve(
        award(participation, "10.00"), award(participation, "0.50"), award(participation2, "7.25")
    )

    def build(finance, programme):
        client.force_login(finance)
        build_through_the_page(client, programme)
        batch = PayoutBatch.objects.latest("pk")
        refs = {line.participation.user: line.end_to_end_id for line in batch.lines.all()}
        return batch, refs[participant], refs[participant2]

    return build


# --- A line's life: failed, returned, paid again ---------------------------------------------


def test_mark_paid_after_a_rejection_never_covers_the_rejected_line(
    sepa_batch, client, finance, programme, participant, participant2
):
    batch, ada, emile = sepa_batch(finance, programme)
    page = upload(client, batch, pain002({emile: "AC04"})).content.decode()
    assert "0 lines paid, 1 taken out of the batch (failed or returned)" in page
    client.post(
        reverse("compensation:batch_paid", args=[batch.pk]),
        {"reference": "BANK-RUN-1", "paid_on": TODAY.isoformat()},
    )
    batch.refresh_from_db()
    assert batch.status == "paid"
    states = {line.participation.user: line.state for line in batch.lines.all()}
    assert states == {participant: "paid", participant2: "failed"}
    assert batch.lines.get(participation__user=participant2).outcome_reason == (
        "rejected by the bank (AC04)"
    )
    assert not LedgerEntry.objects.filter(participation__user=participant2, state="paid").exists()
    assert not OutboxMessage.objects.filter(
        recipient=participant2, subject__startswith="You were paid"
    ).exists()
    client.force_login(participant2)
    mine = client.get(reverse("compensation:statement")).content.decode()
    assert "failed on" in mine and "will be paid again" in mine
    summarise(inputs=2)


def test_a_return_after_settlement_is_recorded_and_paid_again_in_the_next_batch(
    sepa_batch, client, finance, programme, participant, participant2
):
    batch, ada, emile = sepa_batch(finance, programme)
    settle = camt(
        [(ada, "10.50", "EUR", "DBIT", TODAY, ""), (emile, "7.25", "EUR", "DBIT", TODAY, "")]
    )
    assert "2 lines paid" in upload(client, batch, settle).content.decode()
    batch.refresh_from_db()
    assert batch.status == "paid"
    # Days later the bank sends Émile's payment back (account closed): a camt.054 credit.
    back = camt([(emile, "7.25", "EUR", "CRDT", TODAY, "AC04")], kind="054")
    page = upload(client, batch, back).content.decode()
    assert "0 lines paid, 1 taken out of the batch (failed or returned)" in page
    line = batch.lines.get(participation__user=participant2)
    assert (line.state, line.outcome_reason, line.outcome_on) == (
        "returned",
        "returned by the bank (AC04)",
        TODAY,
    )
    assert set(
        LedgerEntry.objects.filter(participation__user=participant2).values_list(
            "state", "batch_id", "paid_at"
        )
    ) == {("approved", None, None)}
    assert LedgerEntry.objects.filter(participation__user=participant, state="paid").count() == 2
    assert AuditEvent.objects.filter(action="compensation.line.returned").count() == 1
    assert OutboxMessage.objects.filter(
        recipient=participant2, subject="Your payment of 7.25 EUR was returned by the bank"
    ).exists()
    batch_page = client.get(reverse("compensation:batch", args=[batch.pk])).content.decode()
    assert "Returned" in batch_page and "returned by the bank (AC04)" in batch_page
    client.force_login(participant2)
    mine = client.get(reverse("compensation:statement")).content.decode()
    assert f"returned by the bank on {TODAY}" in mine and "will be paid again" in mine
    # The same return again changes nothing.
    client.force_login(finance)
    again = upload(client, batch, back).content.decode()
    assert "a return, but the line is already returned" in again
    # Paid again in the next batch, which holds only that line.
    build_through_the_page(client, programme)
    nxt = PayoutBatch.objects.exclude(pk=batch.pk).get()
    assert [(x.participation.user, str(x.amount)) for x in nxt.lines.all()] == [
        (participant2, "7.25")
    ]
    client.post(
        reverse("compensation:batch_paid", args=[nxt.pk]),
        {"reference": "RUN-2", "paid_on": TODAY.isoformat()},
    )
    client.force_login(participant2)
    mine = client.get(reverse("compensation:statement")).content.decode()
    assert "will be paid again" not in mine  # paid again: the notice says when
    assert f"paid again on {TODAY} in payout {nxt.pk}." in mine
    summarise(inputs=3, doubled=0)


# --- Nobody pays themselves -------------------------------------------------------------------


def test_a_finance_person_who_is_also_a_payee_cannot_build_settle_or_download_their_batch(
    client, programme, participant, participation, award, approve, finance
):
    insider = make_staff(programme, ProgrammeRole.Role.FINANCE, email="insider@example.com")
    mine = make_participant(programme, user=insider)
    client.force_login(insider)
    give_details(client, legal_name="In Sider", iban=IBAN_B)
    client.force_login(participant)
    give_details(client, legal_name="Ada Tester", iban=IBAN_A)
    approve(
        award(Participation.objects.get(user=mine, programme=programme), "900.00"),
        award(participation, "5.00"),
    )
    client.force_login(insider)
    preview, created = build_through_the_page(client, programme)
    for response in (preview, created):
        assert response.status_code == 400
        assert "This batch holds your own pay" in response.content.decode()
    assert not PayoutBatch.objects.exists()
    # Someone else builds it; the insider still cannot settle or download it.
    client.force_login(finance)
    build_through_the_page(client, programme)
    batch = PayoutBatch.objects.get()
    client.force_login(insider)
    page = client.get(reverse("compensation:batch", args=[batch.pk])).content.decode()
    assert "You are paid in this batch" in page
    paid = client.post(
        reverse("compensation:batch_paid", args=[batch.pk]),
        {"reference": "SELF", "paid_on": TODAY.isoformat()},
    )
    assert paid.status_code == 400 and "This batch holds your own pay" in paid.content.decode()
    for fmt in ("sepa.xml", "csv"):
        got = client.get(reverse("compensation:batch_download", args=[batch.pk, fmt]))
        assert got.status_code == 403
    batch.refresh_from_db()
    assert batch.status == "ready"
    assert not LedgerEntry.objects.filter(state="paid").exists()
    summarise(inputs=4)


# --- Files at rest hold no secrets ------------------------------------------------------------


def test_payout_files_on_disk_hold_no_names_emails_or_ibans_and_downloads_are_audited(
    client,
    settings,
    participant,
    participant2,
    participation,
    participation2,
    award,
    approve,
    finance,
    programme,
):
    client.force_login(participant)
    give_details(
        client,
        legal_name='=HYPERLINK("http://evil.example/x","click")',
        method="wise",
        email="ada@example.org",
        country="FR",
    )
    client.force_login(participant2)
    give_details(client, legal_name="Émile Testeur", iban=IBAN_B, country="FR")
    approve(award(participation, "5.00"), award(participation2, "6.00"))
    client.force_login(finance)
    build_through_the_page(client, programme, method="wise")
    build_through_the_page(client, programme, method="sepa")
    on_disk = b""
    for root, _, files in os.walk(settings.MEDIA_ROOT):
        for name in files:
            on_disk += open(os.path.join(root, name), "rb").read()
    assert on_disk
    for secret in (
        b"ada@example.org",
        IBAN_B.encode(),
        "Émile".encode(),
        b"HYPERLINK",
        participant2.email.encode(),
    ):
        assert secret not in on_disk, secret
    wise = PayoutBatch.objects.get(method="wise")
    response = client.get(reverse("compensation:batch_download", args=[wise.pk, "wise.csv"]))
    body = b"".join(response.streaming_content).decode()
    assert response["Cache-Control"] == "no-store"
    assert hashlib.sha256(body.encode()).hexdigest() == wise.provider_sha256
    assert "'=HYPERLINK(" in body and ",=HYPERLINK(" not in body
    event = AuditEvent.objects.get(action="compensation.batch.downloaded")
    assert event.data == {"file": "wise.csv", "sha256": wise.provider_sha256}
    summarise(inputs=2)


# --- Files are checked like forms, and kept ---------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "booked", "problem"),
    [
        ("10.50", TODAY + timedelta(days=1), "after today: no bank has booked it yet"),
        ("10.50", "0001-01-01", "dated 0001-01-01, before batch"),
        ("sNaN", TODAY, "the amount is not a number"),
        ("NaN", TODAY, "the amount is not a number"),
        ("10.505", TODAY, "the amount 10.505 has more than cents"),
    ],
)
def test_a_statement_no_bank_could_mean_is_refused_whole_by_line_and_kept(
    sepa_batch, client, finance, programme, amount, booked, problem
):
    batch, ada, emile = sepa_batch(finance, programme)
    data = camt(
        [(emile, "7.25", "EUR", "DBIT", TODAY, ""), (ada, amount, "EUR", "DBIT", booked, "")]
    )
    response = upload(client, batch, data)
    html = response.content.decode()
    assert response.status_code == 400, html[html.find("<main") :][:3000]
    assert problem in html and "line " in html and "nothing was marked paid" in html
    assert not LedgerEntry.objects.filter(state="paid").exists()
    kept = BankFileImport.objects.get(batch=batch)
    assert not kept.applied and kept.sha256 == hashlib.sha256(data).hexdigest()
    assert problem in kept.problems[0]["problem"]
    page = client.get(reverse("compensation:batch", args=[batch.pk])).content.decode()
    assert "refused, nothing applied" in page and problem in page


def test_a_provider_csv_dated_9999_is_refused_by_line(sepa_batch, client, finance, programme):
    batch, ada, emile = sepa_batch(finance, programme)
    data = f"reference,amount,date\n{ada},10.50,9999-12-31\n{emile},7.25,{TODAY}\n".encode()
    response = client.post(
        reverse("compensation:batch_reconcile", args=[batch.pk]),
        {"file": SimpleUploadedFile("paid.csv", data, "text/csv")},
    )
    assert response.status_code == 400
    assert "dated 9999-12-31, after today" in response.content.decode()
    assert not LedgerEntry.objects.filter(state="paid").exists()
    assert BankFileImport.objects.get(batch=batch).problems[0]["row"] == 2


def test_an_unmatched_bank_line_is_matched_by_hand_by_someone_who_did_not_build_the_batch(
    sepa_batch, client, finance, programme, participant2
):
    batch, ada, emile = sepa_batch(finance, programme)
    # The bank mangled Émile's reference; Ada's payment settles her line.
    data = camt(
        [(ada, "10.50", "EUR", "DBIT", TODAY, ""), (emile + "9", "7.25", "EUR", "DBIT", TODAY, "")]
    )
    upload(client, batch, data)
    kept = BankFileImport.objects.get(batch=batch)
    assert kept.applied and kept.paid == 1 and len(kept.problems) == 1
    line = batch.lines.get(participation__user=participant2)
    url = reverse("compensation:import_match", args=[kept.pk, 0])
    # The person who built the batch may not match its bank lines.
    page = client.post(url, {"line_key": line.line_key}, follow=True).content.decode()
    assert "someone else in finance matches its bank lines by hand" in page
    colleague = make_staff(programme, ProgrammeRole.Role.FINANCE, email="colleague@example.com")
    client.force_login(colleague)
    shown = client.get(reverse("compensation:batch", args=[batch.pk])).content.decode()
    assert "no line of this batch has this reference" in shown and "Match" in shown
    page = client.post(url, {"line_key": line.line_key}, follow=True).content.decode()
    assert f"Line {line.line_key} matched by hand and paid." in page
    line.refresh_from_db()
    batch.refresh_from_db()
    assert (line.state, line.paid_reference, batch.status) == ("paid", "BANK-2", "paid")
    event = AuditEvent.objects.get(action="compensation.line.matched_by_hand")
    assert event.actor_id == colleague.pk and event.data["sha256"] == kept.sha256
    assert (
        f"matched to line {line.pk}"
        in client.get(reverse("compensation:batch", args=[batch.pk])).content.decode()
    )


# --- Preview = create; SEPA versions ----------------------------------------------------------


@pytest.mark.usefixtures("sepa_batch")  # payees with bank details and approved EUR pay
def test_the_preview_refuses_what_creating_refuses(client, finance, programme):
    client.force_login(finance)
    preview, created = build_through_the_page(client, programme, currency="USD")
    for response in (preview, created):
        html = response.content.decode()
        assert "SEPA credit transfer (pain.001) cannot pay USD" in html
        assert "goes into this batch" not in html
    assert not PayoutBatch.objects.exists()


@pytest.mark.usefixtures("sepa_batch")
@pytest.mark.parametrize("version", ["pain.001.001.09", "pain.001.001.03"])
def test_a_sepa_file_is_written_in_the_version_chosen_and_validates_against_its_xsd(
    client, finance, programme, version
):
    client.force_login(finance)
    form = {
        "programmes": [programme.pk],
        "period_start": TODAY.replace(day=1).isoformat(),
        "period_end": TODAY.isoformat(),
        "currency": "EUR",
        "method": "sepa",
        "sepa_version": version,
    }
    assert client.post(reverse("compensation:batch_new"), form).status_code == 302
    batch = PayoutBatch.objects.get()
    xml = b"".join(
        client.get(
            reverse("compensation:batch_download", args=[batch.pk, "sepa.xml"])
        ).streaming_content
    )
    assert f"urn:iso:std:iso:20022:tech:xsd:{version}".encode() in xml
    xmlschema.XMLSchema(os.path.join(SCHEMAS, f"{version}.xsd")).validate(xml.decode())
    print(f"FIGURE {version}: {len(xml)} bytes, validated against its XSD")


def test_a_settled_batchs_files_are_deleted_after_the_retention_by_the_scheduled_task(
    sepa_batch, client, finance, programme, settings
):
    from compensation.tasks import forget_old_payout_files

    batch, ada, emile = sepa_batch(finance, programme)
    client.post(
        reverse("compensation:batch_paid", args=[batch.pk]),
        {"reference": "RUN-1", "paid_on": TODAY.isoformat()},
    )
    assert forget_old_payout_files() == 0  # paid today: kept
    PayoutBatch.objects.filter(pk=batch.pk).update(
        paid_at=TODAY - timedelta(days=settings.PAYOUT_FILE_RETENTION_DAYS + 1)
    )
    assert forget_old_payout_files() == 1
    assert forget_old_payout_files() == 0  # twice is once
    left = [n for _, _, names in os.walk(settings.MEDIA_ROOT) for n in names]
    assert left == []
    batch.refresh_from_db()
    assert batch.provider_sha256 and batch.csv_sha256  # the checksums stay
    url = reverse("compensation:batch_download", args=[batch.pk, "sepa.xml"])
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="compensation.batch.files_deleted").count() == 1
