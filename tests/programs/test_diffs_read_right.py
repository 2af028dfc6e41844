"""Diffs that read right (issue 33): a worse value is marked worse in words and colour, a
better one better; the full text reads as removed and added passages; the manager's summary
is shown; the consent screen offers to decline, which withdraws with the records kept."""

import re

from participants.models import Consent, Participation
from programs import services as programme_services


def _publish(programme, manager, **values):
    draft = programme_services.terms_draft_create(actor=manager, programme=programme)
    programme_services.terms_draft_update(actor=manager, terms=draft, **values)
    return programme_services.terms_publish(actor=manager, terms=draft)


def _row(page: str, label: str) -> str:
    return re.search(rf'<tr class="[^"]*"><th scope="row">{label}</th>.*?</tr>', page, re.S).group(
        0
    )


def test_a_lower_rate_is_worse_in_words_and_colour_and_a_higher_one_better(
    programme, manager, client
):
    _publish(programme, manager, hourly_rate="18.00", change_summary="Budget cut.")
    _publish(programme, manager, hourly_rate="30.00", change_summary="Budget restored.")
    worse = client.get(f"/programmes/{programme.slug}/terms/diff/?from=1&to=2").content.decode()
    row = _row(worse, "Hourly rate")
    assert '<td class="diff-before">25.00</td>' in row
    assert '<td class="diff-worse">18.00</td>' in row and "Worse for you" in row
    assert "diff-add" not in row and "diff-better" not in row  # never green for a cut
    assert "The manager's summary of this change:</strong> Budget cut." in worse
    better = client.get(f"/programmes/{programme.slug}/terms/diff/?from=2&to=3").content.decode()
    row = _row(better, "Hourly rate")
    assert '<td class="diff-better">30.00</td>' in row and "Better for you" in row
    assert "Worse for you" not in row


def test_the_full_text_diff_reads_as_removed_and_added_passages(programme, manager, client):
    old = programme.terms.get()
    lines = [f"Clause {i}." for i in range(1, 12)]
    _publish(programme, manager, body="\n".join(lines))
    changed = lines[:5] + ["Clause 6, rewritten: the company may use your outputs."] + lines[6:]
    _publish(programme, manager, body="\n".join(changed))
    page = client.get(f"/programmes/{programme.slug}/terms/diff/?from=2&to=3").content.decode()
    assert "--- v2" not in page and "+++ v3" not in page and "@@" not in page
    assert "Removed from version 2:</p><del>Clause 6.</del>" in page
    assert (
        "Added in version 3:</p><ins>Clause 6, rewritten: the company may use your outputs.</ins>"
        in page
    )
    assert "… 3 unchanged lines …" in page  # clauses 1–3 folded, 4–5 kept as context
    assert old.number == 1


def test_the_consent_screen_offers_to_decline_which_withdraws_and_keeps_the_records(
    programme, manager, participant, as_user
):
    from datetime import timedelta

    from django.utils import timezone

    from programs.models import TermsVersion

    v2 = _publish(programme, manager, hourly_rate="18.00")
    TermsVersion.objects.filter(pk=v2.pk).update(effective_at=timezone.now() - timedelta(minutes=1))
    client = as_user(participant)
    url = f"/portal/programmes/{programme.slug}/consent/"
    page = client.get(url).content.decode()
    assert "Decline and withdraw" in page
    assert f'action="/portal/programmes/{programme.slug}/withdraw/"' in page
    before = Consent.objects.filter(participation__user=participant).count()
    response = client.post(
        f"/portal/programmes/{programme.slug}/withdraw/",
        {"reason": "Declined version 2 of the terms.", "decline": "1"},
    )
    assert response.status_code == 302
    participation = Participation.objects.get(user=participant, programme=programme)
    assert participation.status == "withdrawn"
    assert participation.status_reason == "Declined version 2 of the terms."
    assert Consent.objects.filter(participation__user=participant).count() == before == 1
    shown = client.get(response["Location"]).content.decode()
    assert "Withdrawn" in shown and "v1" in shown  # the consent to v1 is still listed
