"""The issue's "done when": from the demo data, through the pages, a finance clerk builds a
SEPA batch, downloads a file that validates, imports a camt.053 statement that settles it,
and every participant sees the payment on their statement. The demo itself shows a line
the bank rejected and one it sent back in one batch, both paid again in the next."""

import os

import pytest
import sepaxml
import xmlschema
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from compensation.models import LedgerEntry, PayoutBatch
from core import l10n
from core.models import OutboxMessage
from demo import base as demo
from demo import compensation as compensation_demo
from demo import feedback as feedback_demo
from tests.compensation.test_payouts import camt053
from tests.conftest import summarise

XSD = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.001.001.09.xsd")
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def test_from_the_demo_data_a_clerk_pays_a_sepa_batch_and_settles_it_from_the_statement(
    db, settings, tmp_path, client
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REQUIRE_STAFF_MFA = False
    ctx = demo.seed()
    feedback_demo.seed(ctx)
    compensation_demo.seed(ctx)
    finance, fair = ctx["finance"], ctx["fair"]
    client.force_login(finance)

    # The grant left in the queue (over the two-person limit): finance and the administrator
    # approve it (the manager created it), then finance builds a SEPA batch of it.
    grant = LedgerEntry.objects.get(idempotency_key="manual:demo-grant-2")
    for approver in (ctx["admin"], finance):
        client.force_login(approver)
        client.post(reverse("compensation:entries_approve"), {"entry": [grant.pk]})
    grant.refresh_from_db()
    assert grant.state == "approved", grant.state
    today = timezone.localdate()
    form = {
        "programmes": [fair.pk],
        "period_start": today.replace(year=today.year - 1).isoformat(),
        "period_end": today.isoformat(),
        "currency": "EUR",
        "method": "sepa",
    }
    assert client.post(reverse("compensation:batch_new"), form).status_code == 302
    for batch in PayoutBatch.objects.filter(method="sepa", status="ready"):
        xml = b"".join(
            client.get(
                reverse("compensation:batch_download", args=[batch.pk, "sepa.xml"])
            ).streaming_content
        )
        xmlschema.XMLSchema(XSD).validate(xml.decode())
        doc = etree.fromstring(xml)
        paid = [
            (
                tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
                tx.findtext("p:Amt/p:InstdAmt", namespaces=NS),
                "EUR",
            )
            for tx in doc.iterfind(".//p:CdtTrfTxInf", NS)
        ]
        page = client.post(
            reverse("compensation:batch_statement", args=[batch.pk]),
            {"file": SimpleUploadedFile("camt.xml", camt053(paid), "application/xml")},
            follow=True,
        )
        assert "Statement imported" in page.content.decode()
        batch.refresh_from_db()
        assert batch.status == "paid", page.content.decode()[:2000]
        for line in batch.lines.select_related("participation__user"):
            person = line.participation.user
            assert (
                OutboxMessage.objects.filter(
                    recipient=person, subject=f"You were paid {line.amount} EUR"
                ).count()
                == 1
            )
            client.force_login(person)
            statement = client.get(reverse("compensation:statement")).content.decode()
            # Each entry of the line is on the statement, paid (pay and cost reimbursements
            # are shown apart, so the line's sum need not appear as one figure).
            for entry in LedgerEntry.objects.filter(batch=batch, participation=line.participation):
                assert entry.state == "paid" and str(entry.amount) in statement
            client.force_login(finance)
        summarise(inputs=1)
        print(f"FIGURE demo SEPA batch {batch.pk}: {len(paid)} transfers settled by camt.053")
    assert not LedgerEntry.objects.filter(programme=fair, state="exported").exists()
    # The demo's two SEPA batches (the one the bank settled but for two lines, the one that
    # paid those again) and the grant's.
    assert PayoutBatch.objects.filter(method="sepa", status="paid").count() == 3


def test_the_demo_shows_a_rejected_and_a_returned_line_paid_again_in_the_next_batch(
    db, settings, tmp_path, client
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REQUIRE_STAFF_MFA = False
    ctx = demo.seed()
    feedback_demo.seed(ctx)
    compensation_demo.seed(ctx)
    today = timezone.localdate().isoformat()
    first, second = PayoutBatch.objects.filter(method="sepa").order_by("pk")
    assert (first.status, second.status) == ("paid", "paid")
    emile, ada = ctx["participant2"], ctx["participant"]

    client.force_login(ctx["finance"])
    page = client.get(reverse("compensation:batch", args=[first.pk])).content.decode()
    day = l10n.day(timezone.localdate())  # the batch page writes dates in words (core.l10n)
    assert f"on {day}: rejected by the bank (AC01)" in page
    assert f"on {day}: returned by the bank (AC04)" in page
    assert page.count("Taken out of this batch; its entries wait for the next one.") == 2
    taken_out = dict(first.lines.exclude(state="paid").values_list("participation__user", "state"))
    assert taken_out == {emile.pk: "failed", ada.pk: "returned"}
    # The bank's three files (pain.002, camt.053, camt.054) are kept, each applied.
    assert list(first.imports.order_by("pk").values_list("applied", "paid", "taken_out")) == [
        (True, 0, 1),
        (True, first.lines.count() - 1, 0),
        (True, 0, 1),
    ]
    # The next batch holds exactly those two lines, paid from the bank's statement.
    again = client.get(reverse("compensation:batch", args=[second.pk])).content.decode()
    assert again.count(f"{day} (DEMO-053-") == 2
    paid_again = dict(second.lines.values_list("participation__user", "state"))
    assert paid_again == {emile.pk: "paid", ada.pk: "paid"}
    back = {line.participation.user_id: line.amount for line in first.lines.exclude(state="paid")}
    assert {line.participation.user_id: line.amount for line in second.lines.all()} == back

    for person, words in (
        (emile, f"failed on {today} (rejected by the bank (AC01))"),
        (ada, f"returned by the bank on {today} (returned by the bank (AC04))"),
    ):
        client.force_login(person)
        mine = client.get(reverse("compensation:statement")).content.decode()
        assert "Payments that did not reach you" in mine
        assert f"{words}, paid again on {today} in payout {second.pk}." in mine
        assert "will be paid again" not in mine
        assert not LedgerEntry.objects.filter(
            participation__user=person, participation__programme=ctx["fair"], state="approved"
        ).exists()


@pytest.fixture(autouse=True)
def _no_celery(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
