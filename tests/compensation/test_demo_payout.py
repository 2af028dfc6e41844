"""The issue's "done when": from the demo data, through the pages, a finance clerk builds a
SEPA batch, downloads a file that validates, imports a camt.053 statement that settles it,
and every participant sees the payment on their statement."""

import os

import pytest
import sepaxml
import xmlschema
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from compensation.models import LedgerEntry, PayoutBatch
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
    assert PayoutBatch.objects.filter(method="sepa", status="paid").count() == 2


@pytest.fixture(autouse=True)
def _no_celery(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
