"""My data is complete (issue 33): promotional uses, training choices, competition entries,
payout and tax details, notifications and the files the tester uploaded are in the archive,
and nothing of anyone else."""

import io
import json
import zipfile
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from approvals import services as approvals
from compensation import services as pay
from compensation.models import TaxStatus
from feedback import services as feedback
from participants.models import Participation
from programs.models import TermsVersion
from publicity import services as publicity

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


def test_the_archive_holds_everything_of_mine_files_included(
    programme, participant, participant2, manager, reviewer, finance, as_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    TermsVersion.objects.filter(programme=programme).update(
        promotional_use="consent", promotion_fee="200.00", training_use="per_output"
    )
    for terms in TermsVersion.objects.filter(programme=programme):
        TermsVersion.objects.filter(pk=terms.pk).update(content_hash=terms.compute_hash())
    output = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Night swim",
        intended_use="social",
        upload=SimpleUploadedFile("still.png", PNG, content_type="image/png"),
    )
    approvals.submission_claim(actor=reviewer, submission=output)
    approvals.submission_decide(submission=output, actor=reviewer, outcome="approved")
    feedback.ticket_file(
        actor=participant,
        programme=programme,
        kind="bug",
        title="Crash",
        description="x",
        severity="low",
        attachments=[SimpleUploadedFile("screen.png", PNG, content_type="image/png")],
    )
    publicity.use_request(
        actor=manager,
        submission=output,
        channel="advert",
        period_start=timezone.localdate(),
        period_end=timezone.localdate() + timedelta(days=30),
        territory="EU",
        credit_line="Film by Pat",
    )
    publicity.training_choose(
        actor=participant, programme=programme, submission=output, allowed=False
    )
    competition = publicity.competition_create(
        actor=manager,
        programme=programme,
        title="Launch film",
        criteria="Best",
        prize_count=1,
        prize_amount="100.00",
        judges="Reviewers",
        entry_deadline=timezone.now() + timedelta(days=7),
        results_by=timezone.now() + timedelta(days=14),
    )
    publicity.competition_enter(actor=participant, competition=competition, submission=output)
    pay.payout_details_set(
        actor=participant,
        legal_name="Pat Participant",
        country="DE",
        method="bank",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
    )
    TaxStatus.objects.create(
        participation=Participation.objects.get(user=participant, programme=programme),
        kind="eu_vat",
        recorded_by=finance,
    )

    response = as_user(participant).get("/portal/my-data/?download=1")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    data = json.loads(archive.read("data.json"))
    assert [u["channel"] for u in data["promotional_uses"]] == ["advert"]
    assert [c["allowed"] for c in data["training_choices"]] == [False]
    assert [e["competition"] for e in data["competition_entries"]] == ["Launch film"]
    payout = data["payout_and_tax"]["payout_details"]
    assert payout["method"] == "bank" and "DE89370400440532013000" in json.dumps(payout)
    assert [t["kind"] for t in data["payout_and_tax"]["tax_statuses"]] == ["eu_vat"]
    assert any("Night swim" in n["subject"] for n in data["notifications"])
    files = {f["path"] for f in data["files"]}
    assert len(files) == 2 and all(archive.read(path) == PNG for path in files)
    assert any(p.startswith("files/outputs/") for p in files)
    assert any(p.startswith("files/ticket-attachments/") for p in files)

    theirs = zipfile.ZipFile(
        io.BytesIO(
            b"".join(as_user(participant2).get("/portal/my-data/?download=1").streaming_content)
        )
    )
    other = json.loads(theirs.read("data.json"))
    assert other["promotional_uses"] == [] and other["files"] == []
    assert other["payout_and_tax"] == {"payout_details": None, "tax_statuses": []}
    assert not [n for n in theirs.namelist() if n.startswith("files/")]
