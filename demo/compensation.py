"""Demo ledger: pay for the demo's confirmed hours and accepted findings, the "competition"
prizes of the criticised programme, approvals, a paid batch of prizes, and the fair
programme's SEPA payout as the bank settled it: one transfer rejected (pain.002), one sent
back after settlement (camt.054), both paid again in the next batch (camt.053)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from schwifty import IBAN

from compensation import services
from compensation.models import LedgerEntry, PayoutBatch, PayoutDetails, PayoutLine
from participants.models import Participation

PRIZES = [
    # (tester index, amount, reason) — the few who got "minimal compensation" through a competition.
    (0, "1500.00", "First prize in the screening competition"),
    (2, "250.00", "Second prize in the screening competition"),
    (4, "100.00", "Third prize in the screening competition"),
]


def _payout_details(ctx):
    """Bank accounts (made-up German IBANs with valid checksums) for the fair programme's
    people, a PayPal address for the first of the criticised programme's prize winners."""

    fair = ctx["fair"]
    people = [ctx["participant"], ctx["participant2"], *ctx["testers"]]
    for n, person in enumerate(people, start=1):
        if PayoutDetails.objects.filter(user=person).exists():
            continue
        if not Participation.objects.filter(user=person, programme=fair).exists():
            continue
        services.payout_details_set(
            actor=person,
            legal_name=person.get_full_name() or person.email,
            country="DE",
            method="bank",
            iban=str(IBAN.generate("DE", bank_code="37040044", account_code=f"{n:010d}")),
        )


def _prizes_and_grant(ctx, testers: list) -> list:
    """The criticised programme's competition prizes and one grant of the fair programme,
    entered by the administrator: whoever creates money never approves it, so the manager
    can give the big prize its second approval. Returns the prizes."""
    admin, criticised, fair = ctx["admin"], ctx["criticised"], ctx["fair"]
    prizes = []
    for index, amount, reason in PRIZES:
        if index >= len(testers):
            continue
        participation = Participation.objects.get(user=testers[index], programme=criticised)
        prizes.append(
            services.award_create(
                actor=admin,
                participation=participation,
                kind=LedgerEntry.Kind.PRIZE,
                amount=amount,
                currency=criticised.currency,
                reason=reason,
                idempotency_key=f"demo-prize-{index}",
            )
        )
    services.award_create(
        actor=admin,
        participation=Participation.objects.get(user=ctx["participant2"], programme=fair),
        kind=LedgerEntry.Kind.EXPENSES,
        amount="120.00",
        currency=fair.currency,
        reason="A second monitor for testing (equipment)",
        idempotency_key="demo-grant-1",
    )
    return prizes


def _batches(ctx) -> None:
    """The competition prizes exported and paid; the fair programme's pay in a SEPA batch
    the bank settled but for two lines (one rejected, one returned after settlement), and
    the next SEPA batch that pays those two again once their payees gave a new account."""
    finance, criticised, fair = ctx["finance"], ctx["criticised"], ctx["fair"]
    today = timezone.localdate()
    start = today - timedelta(days=365)
    paid = services.batch_create(
        actor=finance,
        programmes=[criticised],
        currency=criticised.currency,
        period_start=start,
        period_end=today,
    )
    services.batch_mark_paid(
        actor=finance, batch=paid, reference="SEPA-2024-11-0042", paid_on=today
    )

    def sepa_batch():
        return services.batch_create(
            actor=finance,
            programmes=[fair],
            currency=fair.currency,
            period_start=start,
            period_end=today,
            method=PayoutBatch.Method.SEPA,
            background=False,
        )

    first = sepa_batch()
    lines = {line.participation.user: line for line in first.lines.select_related("participation")}
    rejected, returned = lines.get(ctx["participant2"]), lines.get(ctx["participant"])
    if rejected is None or returned is None:
        return
    settle = (
        # The bank refuses Émile's transfer: the account number is wrong.
        _pain002({rejected.end_to_end_id: "AC01"}),
        # It books the others…
        _camt("053", [(line, "DBIT", "") for line in lines.values() if line != rejected]),
        # …and later sends back the participant's: the account was closed.
        _camt("054", [(returned, "CRDT", "AC04")]),
    )
    for data in settle:
        services.batch_import_statement(actor=finance, batch=first, data=data)
    # Both give a new account; the next batch pays them again and the bank books it.
    for person, account in ((ctx["participant"], 91), (ctx["participant2"], 92)):
        services.payout_details_set(
            actor=person,
            legal_name=person.get_full_name() or person.email,
            country="DE",
            method="bank",
            iban=str(IBAN.generate("DE", bank_code="37040044", account_code=f"{account:010d}")),
        )
    second = sepa_batch()
    services.batch_import_statement(
        actor=finance,
        batch=second,
        data=_camt("053", [(line, "DBIT", "") for line in second.lines.all()]),
    )


def _pain002(rejected: dict[str, str]) -> bytes:
    """The bank's pain.002 status report rejecting {end-to-end id: reason code}."""
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%S")
    txs = "".join(
        f"<TxInfAndSts><StsId>DEMO-RJCT-{n}</StsId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>"
        f"<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf></TxInfAndSts>"
        for n, (e2e, code) in enumerate(rejected.items(), 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>DEMO-STATUS</MsgId><CreDtTm>{now}</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>DEMO</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09"
        "</OrgnlMsgNmId></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>DEMO</OrgnlPmtInfId>{txs}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def _camt(kind: str, bookings: list[tuple[PayoutLine, str, str]]) -> bytes:
    """The payout account's camt.053 statement or camt.054 notification, booked today:
    [(line, "DBIT" paid | "CRDT" returned, return reason code)]."""
    today, now = timezone.localdate(), timezone.now().strftime("%Y-%m-%dT%H:%M:%S")
    entries = "".join(
        f'<Ntry><Amt Ccy="{line.currency}">{line.amount}</Amt><CdtDbtInd>{way}</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>{today}</Dt></BookgDt><ValDt><Dt>{today}</Dt></ValDt>"
        f"<AcctSvcrRef>DEMO-{kind}-{n}</AcctSvcrRef><BkTxCd/><NtryDtls><TxDtls><Refs>"
        f"<EndToEndId>{line.end_to_end_id}</EndToEndId></Refs><AmtDtls><TxAmt>"
        f'<Amt Ccy="{line.currency}">{line.amount}</Amt></TxAmt></AmtDtls>'
        + (f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>" if reason else "")
        + "</TxDtls></NtryDtls></Ntry>"
        for n, (line, way, reason) in enumerate(bookings, 1)
    )
    statement = kind == "053"
    root, report = ("BkToCstmrStmt", "Stmt") if statement else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.02"><{root}>'
        f"<GrpHdr><MsgId>DEMO-{kind}</MsgId><CreDtTm>{now}</CreDtTm></GrpHdr>"
        f"<{report}><Id>DEMO-{kind}</Id><CreDtTm>{now}</CreDtTm>"
        f"<Acct><Id><IBAN>{settings.PAYOUT_DEBTOR_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        f"{entries}</{report}></{root}></Document>"
    ).encode()


def _waiting_for_approval(ctx, testers: list) -> None:
    """Something left in the approval queue: a new prize, and a correction of the grant."""
    manager, criticised, fair = ctx["manager"], ctx["criticised"], ctx["fair"]
    if len(testers) > 6:
        services.award_create(
            actor=manager,
            participation=Participation.objects.get(user=testers[6], programme=criticised),
            kind=LedgerEntry.Kind.PRIZE,
            amount="50.00",
            currency=criticised.currency,
            reason="Audience award at the screening",
            idempotency_key="demo-prize-audience",
        )
    services.award_create(
        actor=manager,
        participation=Participation.objects.get(user=ctx["participant"], programme=fair),
        kind=LedgerEntry.Kind.EXPENSES,
        amount="1200.00",
        currency=fair.currency,
        reason="Travel to the launch screening",
        idempotency_key="demo-grant-2",
    )


def seed(ctx):
    if LedgerEntry.objects.exists():
        return
    services.accrue_hourly()
    services.accrue_bounties()
    testers = [
        t
        for t in ctx["testers"]
        if Participation.objects.filter(user=t, programme=ctx["criticised"]).exists()
    ]
    prizes = _prizes_and_grant(ctx, testers)
    # Approvals: finance approves everything; the big prize also needs a second person.
    accrued = list(
        LedgerEntry.objects.filter(state=LedgerEntry.State.ACCRUED).values_list("pk", flat=True)
    )
    services.entries_approve(actor=ctx["finance"], entry_ids=accrued)
    if prizes:
        services.entry_approve(actor=ctx["manager"], entry=prizes[0])
    _payout_details(ctx)
    _batches(ctx)
    _waiting_for_approval(ctx, testers)
