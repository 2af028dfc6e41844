"""The programme's list of valid contest reasons (issue 34), kept by its managers on a page:
a programme offers the standard list until a manager adds a reason, which starts its own list
from the standard one; retired reasons are no longer offered, the last one in use stays."""

import pytest

from audit.models import AuditEvent
from recourse.models import ContestReason
from recourse.reasons import DEFAULT_REASONS

pytestmark = pytest.mark.django_db


def test_a_manager_keeps_the_reasons_testers_may_give(
    as_user, redteam, closed_ticket, teamer, manager, reviewer
):
    tester = as_user(teamer)
    form = tester.get(f"/contests/new/ticket/{closed_ticket.pk}/").content.decode()
    assert "It is not a duplicate of the ticket named" in form  # the standard list

    keeper = as_user(manager)
    assert 'href="/contests/reasons/"' in keeper.get("/contests/open/").content.decode()
    page = keeper.get("/contests/reasons/").content.decode()
    assert "Programmes offering the standard list" in page and "Red team" in page
    added = keeper.post(
        "/contests/reasons/",
        {"programme": redteam.pk, "label": "The severity was set too low", "code": ""},
    )
    assert added.status_code == 302
    own = dict(ContestReason.objects.filter(programme=redteam).values_list("code", "label"))
    assert own == {
        **dict(DEFAULT_REASONS),
        "the-severity-was-set-too-low": ("The severity was set too low"),
    }
    assert AuditEvent.objects.filter(action="recourse.reason.created", actor=manager).count() == 7

    # The same code twice: refused on the form, at the page's own address, nothing added.
    twice = keeper.post(
        "/contests/reasons/",
        {"programme": redteam.pk, "label": "The severity was set too low", "code": ""},
    )
    assert twice.status_code == 400 and "is already in the list" in twice.content.decode()
    assert ContestReason.objects.filter(programme=redteam).count() == 7

    duplicate = ContestReason.objects.get(programme=redteam, code="not-a-duplicate")
    keeper.post(f"/contests/reasons/{duplicate.pk}/toggle/")
    duplicate.refresh_from_db()
    assert not duplicate.active
    form = as_user(teamer).get(f"/contests/new/ticket/{closed_ticket.pk}/").content.decode()
    assert "The severity was set too low" in form
    assert "It is not a duplicate of the ticket named" not in form
    # A retired reason given anyway is refused.
    refused = as_user(teamer).post(
        f"/contests/new/ticket/{closed_ticket.pk}/",
        {"reason": "not-a-duplicate", "text": "It is not."},
    )
    assert refused.status_code == 400

    # Reviewers neither see the link nor open the page; nobody else's programme is touched.
    other = as_user(reviewer)
    assert 'href="/contests/reasons/"' not in other.get("/contests/open/").content.decode()
    assert other.get("/contests/reasons/").status_code == 403
    assert other.post(f"/contests/reasons/{duplicate.pk}/toggle/").status_code == 403


def test_the_last_reason_in_use_cannot_be_retired(as_user, redteam, manager):
    keeper = as_user(manager)
    keeper.post("/contests/reasons/", {"programme": redteam.pk, "label": "Only this"})
    ContestReason.objects.filter(programme=redteam).exclude(code="only-this").update(active=False)
    last = ContestReason.objects.get(programme=redteam, code="only-this")
    page = keeper.post(f"/contests/reasons/{last.pk}/toggle/", follow=True).content.decode()
    assert "This is the last reason in use" in page
    last.refresh_from_db()
    assert last.active


def test_the_recourse_pages_speak_the_tester_s_language(as_user, closed_ticket, teamer):
    client = as_user(teamer)
    page = client.get("/contests/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "自分の異議申し立て" in page and "異議を申し立てた決定はありません。" in page
    form = client.get(
        f"/contests/new/ticket/{closed_ticket.pk}/", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Contester une décision" in form and "Envoyer la contestation" in form
