"""The review queue page: its programme menu, its rows and one claim form for all of them."""

import re

import pytest
from django.urls import reverse

from approvals import services
from programs.models import ProgrammeRole
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def _submit(user, programme, title, venue="A gallery in Lisbon"):
    return services.submission_create(
        actor=user,
        programme=programme,
        title=title,
        intended_use="portfolio",
        intended_venue=venue,
        url="https://example.org/" + re.sub(r"\W+", "-", title.lower()) + ".mp4",
    )


def test_the_programme_menu_lists_my_programmes_only_and_another_is_refused(
    as_user, programme, other_programme, participant, outsider, reviewer
):
    _submit(participant, programme, "Mine")
    _submit(outsider, other_programme, "Theirs")
    client = as_user(reviewer)
    page = client.get(reverse("approvals:queue")).content.decode()
    menu = re.search(r'<select name="programme".*?</select>', page, re.S).group(0)
    assert ">Alpha<" in menu and "Beta" not in menu
    assert "Mine" in page and "Theirs" not in page
    # Beta's id in the query: not one of my options; the menu says so and Beta stays hidden.
    refused = client.get(reverse("approvals:queue"), {"programme": other_programme.pk})
    assert refused.status_code == 200
    assert "Theirs" not in refused.content.decode()
    assert "That choice is not one of the available choices" in refused.content.decode()
    chosen = client.get(reverse("approvals:queue"), {"programme": programme.pk}).content.decode()
    assert re.search(rf'<option value="{programme.pk}" selected>Alpha</option>', chosen)


def test_each_row_links_to_its_item_and_claims_it_through_the_one_claim_form(
    as_user, programme, participant, reviewer
):
    s = _submit(participant, programme, "Night swim")
    other = make_staff(programme, ProgrammeRole.Role.REVIEWER, email="r2@example.com")
    client = as_user(reviewer)
    page = client.get(reverse("approvals:queue")).content.decode()
    detail, claim = (
        reverse("approvals:detail", args=[s.pk]),
        reverse("approvals:claim", args=[s.pk]),
    )
    assert f'href="{detail}"' in page
    assert f'formaction="{claim}"' in page and page.count('<form method="post" id="claim">') == 1
    assert "Portfolio · A gallery in Lisbon" in page
    assert client.post(claim).status_code == 302
    page = client.get(reverse("approvals:queue")).content.decode()
    assert "claimed by you until" in page and ">Decide</a>" in page
    page = as_user(other).get(reverse("approvals:queue")).content.decode()
    assert "claimed by reviewer@example.com until" in page and ">View</a>" in page


def test_what_participants_typed_is_shown_as_text_in_the_rows(
    as_user, programme, participant, reviewer
):
    """Titles and venues are the participants' words: markup in them is escaped, not run."""
    _submit(
        participant,
        programme,
        '<script>alert("t")</script> & "quotes"',
        venue="<img src=x onerror=alert(1)>",
    )
    page = as_user(reviewer).get(reverse("approvals:queue")).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in page
    assert 'aria-label="Select “&lt;script&gt;' in page  # inside an attribute too
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_on_a_phone_each_cell_names_its_column_and_the_bulk_action_comes_first(
    as_user, programme, participant, reviewer
):
    """The cards of the phone layout are drawn by CSS from these labels (app.css)."""
    _submit(participant, programme, "Card")
    html = as_user(reviewer).get(reverse("approvals:queue") + "?sort=oldest").content.decode()
    assert '<table class="table cards">' in html
    row = re.search(r"<tbody>\s*(<tr>.*?</tr>)", html, re.S).group(1)
    cells = re.findall(r"<td([^>]*)>", row)
    labels = [re.search(r'data-label="([^"]+)"', c).group(1) for c in cells]
    assert labels == [
        "Select", "Review clock", "Output", "Programme", "Participant", "Status", "Action",
    ]  # fmt: skip
    assert html.index("Approve the ticked items") < html.index("<tbody>")
    assert "scrolls sideways" not in html
    # The queue's sort goes with the links, so "open the next item" follows the same queue.
    assert "/claim/?sort=oldest" in row


def test_the_filters_survive_a_bulk_approval(as_user, programme, participant, reviewer):
    """Approving the ticked items returns to the queue as it was filtered and sorted."""
    item = _submit(participant, programme, "Bulk one")
    query = f"?programme={programme.pk}&sort=oldest"
    client = as_user(reviewer)
    html = client.get(reverse("approvals:queue") + query).content.decode()
    action = re.search(r'<form method="post" action="([^"]+)" id="bulk">', html).group(1)
    action = action.replace("&amp;", "&")
    assert action == reverse("approvals:bulk_approve") + query
    response = client.post(action, {"ids": [item.pk]})
    assert response.status_code == 302
    assert response["Location"] == reverse("approvals:queue") + query
    # Even when nothing was ticked.
    response = client.post(action, {})
    assert response["Location"] == reverse("approvals:queue") + query


def test_on_a_phone_the_filters_fold_behind_one_button(as_user, programme, reviewer):
    """One <details> holds the filters; app.js closes it on a narrow screen and app.css hides
    its button on a wide one. The button says how many filters are on."""
    html = as_user(reviewer).get(reverse("approvals:queue") + "?overdue=on").content.decode()
    fold = re.search(
        r"<details class=\"filters-fold\"[^>]*>\s*<summary[^>]*>([^<]+)</summary>", html
    )
    assert fold and fold.group(1) == "Filters and sort (1 active)"
    assert (
        html.index("<details")
        < html.index('aria-label="Filter the queue"')
        < html.index("</details>")
    )
