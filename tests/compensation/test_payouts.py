"""Money leaves from the product: payee details, SEPA/PayPal/Wise files, camt.053 statements.

Everything goes through the pages (the participant's payout details form, the finance
batch pages), and asserts what people see.
"""

import hashlib
import os

import pytest
import sepaxml
import xmlschema
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from audit.models import AuditEvent
from compensation.models import LedgerEntry, PayoutBatch, PayoutDetails
from core.models import OutboxMessage
from tests.conftest import summarise

TODAY = timezone.localdate().isoformat()

pytestmark = pytest.mark.django_db

IBAN_A = "DE89370400440532013000"
IBAN_B = "FR1420041010050500013M02606"
SCHEMAS = os.path.join(os.path.dirname(sepaxml.__file__), "schemas")
PAIN_001_XSD = os.path.join(SCHEMAS, "pain.001.001.09.xsd")


def give_details(client, **fields):
    data = {"legal_name": "Ada Tester", "country": "DE", "method": "bank", **fields}
    return client.post(reverse("compensation:payout_details"), data)


def camt053(transactions, *, iban=None, version="camt.053.001.02") -> bytes:
    """A bank statement of `iban` (the payout account): [(end-to-end id, amount, ccy, ...)]."""
    iban = iban or settings.PAYOUT_DEBTOR_IBAN
    entries = []
    for n, tx in enumerate(transactions, start=1):
        e2e, amount, currency = tx[:3]
        indicator = tx[3] if len(tx) > 3 else "DBIT"
        entries.append(
            f"""<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>
<Sts>BOOK</Sts><BookgDt><Dt>{TODAY}</Dt></BookgDt><ValDt><Dt>{TODAY}</Dt></ValDt>
<AcctSvcrRef>BANK-{n}</AcctSvcrRef><BkTxCd/><NtryDtls><TxDtls><Refs>
<EndToEndId>{e2e}</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy="{currency}">{amount}</Amt>
</TxAmt></AmtDtls></TxDtls></NtryDtls></Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}"><BkToCstmrStmt>
<GrpHdr><MsgId>STMT-1</MsgId><CreDtTm>2026-11-21T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2026-11-21T06:00:00</CreDtTm>
<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
{"".join(entries)}
</Stmt></BkToCstmrStmt></Document>""".encode()


def upload(client, batch, data, name="statement.xml"):
    return client.post(
        reverse("compensation:batch_statement", args=[batch.pk]),
        {"file": SimpleUploadedFile(name, data, content_type="application/xml")},
        follow=True,
    )


# --- Payout details -----------------------------------------------------------------------


def test_a_wrong_iban_an_unknown_country_or_a_missing_email_is_named_and_saves_nothing(
    as_user, participant
):
    client = as_user(participant)
    cases = [
        ({"iban": "DE89370400440532013001"}, "That IBAN is not valid: Invalid checksum digits"),
        ({"iban": IBAN_A, "country": "ZZ"}, "“ZZ” is not a country code"),
        ({"iban": "US12345678901234"}, "That IBAN is not valid"),
        ({"iban": IBAN_A, "bic": "NOPE"}, "That BIC is not valid"),
        ({"method": "paypal"}, "Give the email address of your PayPal account."),
    ]
    for fields, message in cases:
        page = give_details(client, **fields)
        assert page.status_code == 400, fields
        assert message in page.content.decode(), (fields, page.content.decode()[:3000])
    assert not PayoutDetails.objects.exists()
    summarise(inputs=len(cases))


def test_payout_details_are_encrypted_at_rest_shown_masked_audited_and_notified(
    as_user, participant
):
    client = as_user(participant)
    page = give_details(client, iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX")
    assert page.status_code == 302
    page = client.get(reverse("compensation:payout_details"))
    html = page.content.decode()
    assert "DE89 •••• 3000" in html and IBAN_A not in html
    stored = PayoutDetails.objects.get(user=participant)
    # Someone who reads the table (a backup, a replica) finds no account number in it.
    assert IBAN_A not in stored.secret and "Ada" not in stored.secret
    event = AuditEvent.objects.get(action="compensation.payout_details.set")
    assert event.data["account"] == "DE89 •••• 3000" and IBAN_A not in str(event.data)
    assert OutboxMessage.objects.filter(
        recipient=participant, subject="Your payout details were changed"
    ).exists()
    # A change is a second event and a second notice.
    give_details(client, method="wise", email="ada@example.org", country="GB")
    assert AuditEvent.objects.filter(action="compensation.payout_details.set").count() == 2
    assert (
        OutboxMessage.objects.filter(
            recipient=participant, subject="Your payout details were changed"
        ).count()
        == 2
    )
    assert "a•••@example.org" in client.get(reverse("compensation:payout_details")).content.decode()


# --- The whole flow: details → SEPA file → camt.053 → statements ----------------------------


@pytest.fixture
def two_bank_payees(
    client, participant, participant2, participation, participation2, award, approve
):
    client.force_login(participant)
    assert give_details(client, legal_name="Ada Tester", iban=IBAN_A).status_code == 302
    client.force_login(participant2)
    assert (
        give_details(client, legal_name="Émile Testeur", iban=IBAN_B, country="FR").status_code
        == 302
    )
    approve(
        award(participation, "10.00"), award(participation, "0.50"), award(participation2, "7.25")
    )
    client.logout()


def build_through_the_page(client, programme, *, method="sepa", currency="EUR"):
    today = timezone.localdate()
    form = {
        "programmes": [programme.pk],
        "period_start": today.replace(day=1).isoformat(),
        "period_end": today.isoformat(),
        "currency": currency,
        "method": method,
    }
    preview = client.get(reverse("compensation:batch_new"), form)
    created = client.post(reverse("compensation:batch_new"), form)
    return preview, created


def test_finance_builds_a_sepa_batch_that_validates_and_a_camt053_statement_settles_it(
    two_bank_payees, as_user, finance, programme, participant, participant2
):
    client = as_user(finance)
    preview, created = build_through_the_page(client, programme)
    text = preview.content.decode()
    # The preview: payees, entries and the total of the currency, before anything is built.
    assert "<td>EUR</td><td>2</td><td>3</td><td>€17.75</td>" in text
    assert created.status_code == 302
    batch = PayoutBatch.objects.get()
    assert batch.method == "sepa" and batch.status == "ready"

    page = client.get(reverse("compensation:batch", args=[batch.pk])).content.decode()
    assert "Download SEPA credit transfer (pain.001) file" in page
    assert "DE89 •••• 3000" in page and f"TT-{batch.pk}-" in page
    assert "Which entries" in page

    url = reverse("compensation:batch_download", args=[batch.pk, "sepa.xml"])
    first = client.get(url)
    assert first.status_code == 200
    xml = b"".join(first.streaming_content)
    second = b"".join(client.get(url).streaming_content)
    assert xml == second and hashlib.sha256(xml).hexdigest() == batch.provider_sha256
    assert first["X-Checksum-SHA256"] == batch.provider_sha256
    # The official pain.001.001.09 schema (shipped with sepaxml) accepts it.
    xmlschema.XMLSchema(PAIN_001_XSD).validate(xml.decode())
    doc = etree.fromstring(xml)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    paid = {
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns): (
            tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns),
            tx.findtext("p:Amt/p:InstdAmt", namespaces=ns),
        )
        for tx in doc.iterfind(".//p:CdtTrfTxInf", ns)
    }
    lines = {line.participation.user: line for line in batch.lines.select_related("participation")}
    assert paid == {
        lines[participant].end_to_end_id: (IBAN_A, "10.50"),
        lines[participant2].end_to_end_id: (IBAN_B, "7.25"),
    }
    assert doc.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == "17.75"

    # A payee who changes their details afterwards does not redirect money already in a batch.
    client.force_login(participant)
    give_details(client, iban="DE02120300000000202051")
    client.force_login(finance)
    assert b"".join(client.get(url).streaming_content) == xml

    statement = camt053(
        [
            (lines[participant].end_to_end_id, "10.50", "EUR"),
            ("SOMEONE-ELSES-RENT", "900.00", "EUR"),
            (lines[participant2].end_to_end_id, "7.25", "EUR"),
        ]
    )
    done = upload(client, batch, statement)
    assert done.status_code == 200
    assert "Statement imported: 2 lines paid; 1 other transaction ignored." in (
        done.content.decode()
    )
    batch.refresh_from_db()
    assert batch.status == "paid"
    assert set(LedgerEntry.objects.values_list("state", flat=True)) == {"paid"}
    for person, amount in ((participant, "10.50"), (participant2, "7.25")):
        assert (
            OutboxMessage.objects.filter(
                recipient=person, subject=f"You were paid {amount} EUR"
            ).count()
            == 1
        )
        client.force_login(person)
        mine = client.get(reverse("compensation:statement")).content.decode()
        assert "Paid" in mine and amount in mine

    # The same statement again: each line says it is already paid, and nothing changes.
    client.force_login(finance)
    again = upload(client, batch, statement)
    assert again.status_code == 400
    assert f"already paid on {TODAY}; nothing to do" in again.content.decode()
    assert OutboxMessage.objects.filter(subject__startswith="You were paid").count() == 2
    # So does the provider-file route (it used to answer 400 with no message).
    csv_again = client.post(
        reverse("compensation:batch_reconcile", args=[batch.pk]),
        {"file": SimpleUploadedFile("paid.csv", b"reference,amount,date\n", "text/csv")},
    )
    assert csv_again.status_code == 400
    assert f"Batch {batch.pk} is already settled" in csv_again.content.decode()
    print(f"FIGURE sepa batch: {len(xml)} bytes, 2 transfers, validated against pain.001.001.09")
    summarise(inputs=2)


def test_a_statement_pays_only_what_matches_and_reports_the_rest_by_line(
    two_bank_payees, as_user, finance, programme, participant, participant2
):
    client = as_user(finance)
    build_through_the_page(client, programme)
    batch = PayoutBatch.objects.get()
    lines = {line.participation.user: line for line in batch.lines.select_related("participation")}
    a, b = lines[participant].end_to_end_id, lines[participant2].end_to_end_id
    statement = camt053(
        [
            (a, "10.50", "EUR"),
            (a, "10.50", "EUR"),  # the same payment twice
            (b, "7.20", "EUR"),  # differs
            (f"TT-{batch.pk}-999999", "1.00", "EUR"),  # no such line
        ]
    )
    page = upload(client, batch, statement)
    html = page.content.decode()
    assert "Statement imported: 1 line paid, 1 still unpaid" in html
    assert "duplicate: this line is paid twice in the statement" in html
    assert "amount differs: statement 7.20 EUR, batch 7.25 EUR" in html
    assert "no line of this batch has this reference" in html
    assert "line 1" in html  # each problem names its line in the file
    batch.refresh_from_db()
    assert batch.status == "ready"
    assert set(
        lines[participant2].participation.ledger_entries.values_list("state", flat=True)
    ) == {"exported"}
    # The next statement carries the corrected payment and settles the batch.
    upload(client, batch, camt053([(b, "7.25", "EUR")]))
    batch.refresh_from_db()
    assert batch.status == "paid"
    assert OutboxMessage.objects.filter(subject__startswith="You were paid").count() == 2
    summarise(inputs=5, doubled=0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"reference,amount,date\nX,1.00,2026-01-01\n",
            "not a camt.053 bank statement, camt.054 notification or pain.002 status report: "
            "it is not XML",
        ),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>',
            "or pain.002 status report (it is “pain.001.001.03”)",
        ),
        (
            "other-account",
            "This statement is for account NL91ABNA0417164300, not the payout account",
        ),
        ("no-payment-of-ours", "No transaction in this statement is a payment of batch"),
        (
            b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
            "not a camt.053 bank statement",
        ),
    ],
)
def test_a_file_that_is_not_this_accounts_statement_is_refused_and_changes_nothing(
    two_bank_payees, as_user, finance, programme, data, message
):
    client = as_user(finance)
    build_through_the_page(client, programme)
    batch = PayoutBatch.objects.get()
    if data == "other-account":
        data = camt053(
            [(batch.lines.first().end_to_end_id, "10.50", "EUR")], iban="NL91ABNA0417164300"
        )
    elif data == "no-payment-of-ours":
        data = camt053([("RENT", "900.00", "EUR")])
    page = upload(client, batch, data)
    assert page.status_code == 400
    assert message in page.content.decode()
    batch.refresh_from_db()
    assert batch.status == "ready"
    assert not LedgerEntry.objects.filter(state="paid").exists()
    assert "root:" not in page.content.decode()  # the entity was not expanded
    summarise(inputs=1)


def test_a_method_cannot_pay_a_currency_it_does_not_carry(
    two_bank_payees, as_user, finance, programme
):
    client = as_user(finance)
    _, created = build_through_the_page(client, programme, currency="USD")
    assert created.status_code == 400
    assert (
        "SEPA credit transfer (pain.001) cannot pay USD; it pays EUR." in created.content.decode()
    )
    assert not PayoutBatch.objects.exists()


def test_a_sepa_batch_takes_only_payees_with_bank_details_and_the_others_wait(
    as_user,
    client,
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
    give_details(client, iban=IBAN_A)
    approve(award(participation, "5.00"), award(participation2, "6.00"))
    client.force_login(finance)
    build_through_the_page(client, programme)
    batch = PayoutBatch.objects.get(method="sepa")
    assert list(batch.lines.values_list("participation", flat=True)) == [participation.pk]
    waiting = LedgerEntry.objects.get(participation=participation2)
    assert waiting.state == "approved" and waiting.batch is None
    # …and a PayPal batch of the same people finds nothing to pay.
    _, created = build_through_the_page(client, programme, method="paypal")
    assert created.status_code == 400
    assert "No approved entry waits for export" in created.content.decode()


def test_paypal_and_wise_batches_list_each_payee_by_email_and_end_to_end_reference(
    client,
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
    give_details(client, method="paypal", email="ada@example.org")
    client.force_login(participant2)
    give_details(
        client, legal_name="Émile Testeur", method="wise", email="emile@example.org", country="FR"
    )
    approve(award(participation, "5.00"), award(participation2, "6.00"))
    client.force_login(finance)
    for method, variant, expected in (
        ("paypal", "paypal.csv", "ada@example.org,5.00,EUR,TT-{batch}-{p},"),
        (
            "wise",
            "wise.csv",
            "Émile Testeur,emile@example.org,TT-{batch}-{p},PRIVATE,EUR,6.00,EUR,EUR",
        ),
    ):
        build_through_the_page(client, programme, method=method)
        batch = PayoutBatch.objects.get(method=method)
        line = batch.lines.get()
        body = b"".join(
            client.get(
                reverse("compensation:batch_download", args=[batch.pk, variant])
            ).streaming_content
        ).decode()
        assert expected.format(batch=batch.pk, p=line.participation_id) in body, body


def test_only_finance_of_the_batch_downloads_the_sepa_file_with_the_account_numbers(
    two_bank_payees, as_user, finance, programme, other_programme, reviewer, manager, client
):
    from tests.factories import make_staff

    as_user(finance)
    build_through_the_page(client, programme)
    batch = PayoutBatch.objects.get()
    url = reverse("compensation:batch_download", args=[batch.pk, "sepa.xml"])
    stranger = make_staff(other_programme, "finance", email="other-finance@example.com")
    for person in (stranger, reviewer, manager):
        client.force_login(person)
        assert client.get(url).status_code in (403, 404), person
    # Nor through the API, whoever asks.
    for person in (finance, manager):
        client.force_login(person)
        api_url = reverse("api:batch-download", args=[batch.pk, "sepa.xml"])
        assert client.get(api_url).status_code == 404
    # The manager still reads the CSV (names and amounts, no account numbers).
    csv_url = reverse("compensation:batch_download", args=[batch.pk, "csv"])
    assert client.get(csv_url).status_code == 200


def test_the_ledger_shows_the_total_of_what_the_filter_matches_per_currency(
    as_user, finance, participation, participation2, award, pays_in_usd_too
):
    award(participation, "10.00"), award(participation, "2.50"), award(participation2, "7.00")
    award(participation, "3.00", currency="USD")
    client = as_user(finance)
    page = client.get(reverse("compensation:entries")).content.decode()
    assert "Total of the filter:</strong> €19.50 · US$3.00" in page
    page = client.get(
        reverse("compensation:entries"), {"participant": participation2.user.email}
    ).content.decode()
    assert "Total of the filter:</strong> €7.00</p>" in page
