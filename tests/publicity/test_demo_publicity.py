"""The demo story: the criticised programme plainly shows "used in promotion, unpaid" and a
screening competition with its odds; the fair programme pays its uses; a manager can ask to
use participant@example.com's approved output and the tester accept it, through the pages."""

from datetime import timedelta

from django.utils import timezone

import demo
from approvals.models import OutputSubmission
from compensation.models import LedgerEntry
from publicity.models import Competition, PromotionalUse
from tests.conftest import summarise


def test_the_demo_tells_the_publicity_story_through_the_pages(db, settings, client):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ctx = demo.seed()
    demo.seed()  # idempotent
    criticised, fair = ctx["criticised"], ctx["fair"]
    page = client.get(f"/programmes/{criticised.slug}/").content.decode()
    assert "Your work may be used in marketing without asking you each time, unpaid" in page
    assert "Used in promotion, unpaid" in page and "3 uses" in page
    competition = Competition.objects.get(programme=criticised)
    entries = competition.entries_at_results
    assert f"3 prizes among {entries} entries" in page and entries > 3
    # Winners by the names they chose, never by a hash of their output.
    results = client.get(f"/competitions/{competition.pk}/").content.decode()
    winners = results[results.index('class="winners"') : results.index("</ol>")]
    assert "<code" not in winners and "@example.com" not in winners
    assert "A tester who chose to stay unnamed" in winners
    first = competition.entries.get(prize_rank=1).entrant
    assert f"<li>{first.first_name or 'Winner'} (<a" in winners
    fair_page = client.get(f"/programmes/{fair.slug}/").content.decode()
    assert "only with your consent per use, paid €200.00 a use, with your name" in fair_page
    assert "1 paid (200.00 EUR), 0 unpaid" in fair_page

    # The story, by hand: the manager asks, the tester accepts, the fee accrues, the proof
    # page and the public figures show the use.
    output = OutputSubmission.objects.filter(
        programme=fair, participant=ctx["participant"], status="approved"
    ).first()
    client.force_login(ctx["manager"])
    today = timezone.localdate()
    asked = client.post(
        f"/publicity/outputs/{output.pk}/promote/",
        {
            "channel": "launch_video",
            "period_start": today.isoformat(),
            "period_end": (today + timedelta(days=30)).isoformat(),
            "territory": "Worldwide",
            "credit_line": "Film by Pat Participant",
        },
    )
    assert asked.status_code == 302
    use = PromotionalUse.objects.get(submission=output)
    client.force_login(ctx["participant"])
    client.post(f"/publicity/uses/{use.pk}/answer/", {"answer": "accept"})
    assert (
        LedgerEntry.objects.filter(
            kind="promotion", participation__user=ctx["participant"], amount="200.00"
        ).count()
        == 1
    )
    client.logout()
    proof = client.get(f"/verify/{output.verify_token}/").content.decode()
    assert "Launch video" in proof and "200.00 EUR" in proof
    from transparency import figures

    figures.refresh(fair)
    fair_page = client.get(f"/programmes/{fair.slug}/").content.decode()
    assert "2 paid (400.00 EUR), 0 unpaid" in fair_page
    summarise(pairs=1)


def test_the_public_programme_page_leads_to_its_competitions_and_their_odds(client, db):
    from demo import seed

    seed()
    page = client.get("/programmes/artist-alpha/").content.decode()
    assert "/programmes/artist-alpha/competitions/" in page
    listing = client.get("/programmes/artist-alpha/competitions/").content.decode()
    assert "prizes among" in listing
