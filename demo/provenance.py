"""Demo provenance: a picture approved in the criticised programme carries content credentials;
its model team holds a service-account token and has checked its training batch (every output
in the consent registry, and files that are not approved outputs of the programme: unknown),
so its public page shows the registry and a check count."""

import hashlib
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from api.models import ServiceToken
from api.services import service_token_create
from approvals import services as approvals
from provenance import selectors, services
from provenance.models import ConsentEntry


def _picture() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (320, 180), (24, 60, 110)).save(out, format="PNG")
    return SimpleUploadedFile("harbour.png", out.getvalue(), content_type="image/png")


def seed(ctx):
    criticised, manager, reviewer = ctx["criticised"], ctx["manager"], ctx["reviewer"]
    if ServiceToken.objects.filter(programme=criticised).exists():
        return
    still = approvals.submission_create(
        actor=ctx["participant"],
        programme=criticised,
        title="Harbour at first light",
        intended_use="portfolio",
        upload=_picture(),
    )
    approvals.submission_claim(actor=reviewer, submission=still)
    approvals.submission_decide(actor=reviewer, submission=still, outcome="approved")
    service_token_create(actor=manager, programme=criticised, name="Model team: training data")
    # The model team's batch: the registry's outputs, and 40 files from elsewhere.
    hashes = list(
        ConsentEntry.objects.filter(programme=criticised).values_list("sha256", flat=True)
    )
    hashes += [hashlib.sha256(f"scraped-{i}".encode()).hexdigest() for i in range(40)]
    results = selectors.check(criticised, hashes, "cawg.ai_training")
    answers = {"allowed": 0, "not_allowed": 0, "unknown": 0}
    for row in results:
        answers[row["answer"]] += 1
    services.training_check_count(programme=criticised, answers=answers)
