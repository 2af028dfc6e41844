"""Every feedback page × every persona: nobody reaches a record that is not theirs.

Objects in URLs belong to `participant` in programme `alpha`. A leak is a
success (2xx/3xx not to the log-in page) for a persona the rule does not allow.
"""

from django.urls import reverse
from django.utils import timezone

from feedback import services
from labour import services as labour_services

from .conftest import png

PERSONAS = [
    "participant",
    "participant2",
    "outsider",
    "reviewer",
    "other_reviewer",
    "finance",
    "manager",
]
SIGNED_IN = set(PERSONAS)
OWNER_AND_STAFF = {"participant", "reviewer", "manager"}
STAFF = {"reviewer", "manager"}
REVIEWERS_ANYWHERE = {"reviewer", "other_reviewer", "manager"}

RULES = {
    "feedback:mine": ("GET", SIGNED_IN, None),
    "feedback:new": ("GET", SIGNED_IN, None),
    # JSON of likely duplicates: without a programme of yours, a 400 for everyone (the
    # restriction itself is tested in test_search.py).
    "feedback:similar": ("GET", set(), None),
    "labour:mine": ("GET", SIGNED_IN, None),
    "feedback:detail": ("GET", OWNER_AND_STAFF, "ticket"),
    "feedback:attachment": ("GET", OWNER_AND_STAFF, "attachment"),
    "labour:edit": ("GET", {"participant"}, "entry"),
    "feedback:comment": ("POST", OWNER_AND_STAFF, "ticket"),
    "feedback:status": ("POST", STAFF, "ticket"),
    "feedback:assign": ("POST", STAFF, "ticket"),
    "feedback:triage": ("GET", REVIEWERS_ANYWHERE, None),
    "feedback:triage_bulk": ("POST", REVIEWERS_ANYWHERE, None),
    "labour:queue": ("GET", REVIEWERS_ANYWHERE, None),
    "labour:review": ("POST", REVIEWERS_ANYWHERE, None),
}


def _allowed(response):
    assert response.status_code < 500
    if response.status_code >= 400:
        return False
    return not (response.status_code == 302 and "/accounts/login/" in response["Location"])


def test_every_feedback_route_has_a_rule():
    from django.urls import get_resolver

    names = set()
    for namespace in ("feedback", "labour"):  # the labour log's pages were feedback's
        resolver = get_resolver().namespace_dict[namespace][1]
        names |= {f"{namespace}:{p.name}" for p in resolver.url_patterns if p.name}
    assert names == set(RULES)


def test_no_persona_reaches_a_feedback_record_it_may_not(
    client,
    programme,
    participant,
    participant2,
    outsider,
    reviewer,
    other_reviewer,
    finance,
    manager,
):
    people = locals()
    ticket = services.ticket_file(
        actor=participant,
        programme=programme,
        kind="bug",
        title="Mine",
        description="d",
        severity="low",
        attachments=[png()],
    )
    ids = {
        "ticket": ticket.pk,
        "attachment": ticket.attachments.get().pk,
        "entry": labour_services.time_entry_log(
            actor=participant,
            programme=programme,
            date=timezone.localdate(),
            minutes=30,
            activity="testing",
        ).pk,
    }
    for name, (method, _, obj) in RULES.items():
        client.logout()
        url = reverse(name, kwargs={"pk": ids[obj]} if obj else {})
        response = client.get(url) if method == "GET" else client.post(url, {})
        assert not _allowed(response), f"anonymous reached {name}"
    leaks, denied = [], []
    for persona in PERSONAS:
        client.force_login(people[persona])
        for name, (method, allowed, obj) in RULES.items():
            url = reverse(name, kwargs={"pk": ids[obj]} if obj else {})
            response = client.get(url) if method == "GET" else client.post(url, {})
            ok = _allowed(response)
            if ok and persona not in allowed:
                leaks.append(f"{persona} {method} {url} → {response.status_code}")
            if not ok and persona in allowed and method == "GET":
                denied.append(f"{persona} {method} {url} → {response.status_code}")
    assert leaks == []
    assert denied == []
