"""Needs your action is complete (issue 33): a promotional use asked of the tester, a ticket
on which staff asked for more information and pay held for a tax form are listed, each linking
to where it is done; the portal links to promotional uses and to each programme's
competitions."""

from datetime import timedelta

from django.utils import timezone

from feedback import services as feedback
from programs.models import TermsVersion
from publicity import services


def _needs(html: str) -> str:
    start = html.index('<h2 id="todo">Needs your action</h2>')
    return html[start : html.index("</section>", start)]


def test_every_item_that_waits_for_the_tester_is_listed_with_its_link(
    approved, programme, participant, manager, reviewer, as_user
):
    client = as_user(participant)
    assert 'id="todo"' not in client.get("/portal/").content.decode()

    use = services.use_request(
        actor=manager,
        submission=approved,
        channel="advert",
        period_start=timezone.localdate(),
        period_end=timezone.localdate() + timedelta(days=30),
        territory="EU",
        credit_line="Film by Participant",
    )
    ticket = feedback.ticket_file(
        actor=participant,
        programme=programme,
        kind="bug",
        title="Export crashes",
        description="It crashes.",
        severity="high",
    )
    feedback.ticket_set_status(
        actor=reviewer, ticket=ticket, status="needs_info", note="Which browser?"
    )
    # The terms in force ask for a tax form (a term; here set on the version directly).
    TermsVersion.objects.filter(programme=programme).update(tax_forms=["eu_vat"])

    needs = _needs(client.get("/portal/").content.decode())
    assert (
        "Alpha asks to use “Night swim” in advertising for a fee of 200.00 EUR: accept or "
        'decline. <a href="/publicity/uses/">Answer the request</a>' in needs
    )
    assert (
        "Staff asked for more information on your ticket “Export crashes” (Alpha). "
        f'<a href="/tickets/{ticket.pk}/">Answer on the ticket</a>' in needs
    )
    assert (
        "Your pay from Alpha waits for your tax status: send EU VAT self-billing agreement. "
        '<a href="/statement/tax-form/alpha/">Send the form</a>' in needs
    )

    # Answered, they leave the list.
    services.use_answer(actor=participant, use=use, accept=False)
    assert "asks to use" not in _needs(client.get("/portal/").content.decode())


def test_the_portal_links_to_promotional_uses_and_to_each_programmes_competitions(
    programme, participant, as_user
):
    page = as_user(participant).get("/portal/").content.decode()
    assert '<a href="/publicity/uses/">Promotional uses of my work</a>' in page
    assert f'<a href="/programmes/{programme.slug}/competitions/">Competitions</a>' in page
