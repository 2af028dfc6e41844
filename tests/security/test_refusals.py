"""Every page, asked by someone the policy refuses, answers with the refusal, never a 500.

Routes, rules and the world of records come from the authorization matrix: every GET and
POST route in the URLconf, with real ids of records in a seeded programme. Three people
the policy refuses probe each route they may not use:
- an outsider (a participant of another programme, no staff role);
- a participant (of this programme) on the staff pages and on other people's records;
- staff without two-factor while REQUIRE_STAFF_MFA is on.

The answer must be the established refusal: the 403 page saying why (its reason in a
sentence), a 404 for a record they may not know of, the way to sign in or to set up
two-factor, or for the API its JSON error. A refused form post changes nothing: the
audit log (every state change writes one event) does not grow.

Figure: pairs tried, 403 pages, 500s (must be 0).
"""

import re

import pytest

from audit.models import AuditEvent
from tests.conftest import summarise
from tests.security import test_authorization_matrix as matrix
from tests.security.test_authorization_matrix import RULES, _kwargs, _named_routes

world = matrix.world  # the matrix's seeded programme and people, a fixture

pytestmark = pytest.mark.authz

STAFF_PAGES = {name for name, (_, allowed) in RULES.items() if not allowed & {"participant"}}
# What Prometheus and the operator's probes read: they answer a refusal in JSON, as the API does.
MACHINE = ("/api/", "/metrics", "/healthz")


def _probe(client, name, pattern, world, method):
    from django.urls import reverse

    url = reverse(name, kwargs=_kwargs(name, pattern, world))
    if name in ("programs:diff", "api:terms-diff"):
        url += "?from=1&to=1"
    if name == "portal:my_data":
        url += "?download=1"
    response = client.get(url) if method == "GET" else client.post(url, {})
    return url, response


def _refusal_problem(url, response, *, mfa: bool, empty_is_bad: bool) -> str | None:
    """What is wrong with this answer to a refused person, or None when it is a refusal.

    `empty_is_bad`: the matrix's NOBODY routes, whose empty request is bad input for
    everyone; a 400 that says what is missing is then the answer too."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if status == 400 and empty_is_bad:
        json = response.get("Content-Type", "").startswith("application/json")
        return (
            None
            if json or "<h1>Request refused</h1>" in response.content.decode()
            else ("a 400 without the 400 page")
        )
    if url.startswith(MACHINE):
        json = response.get("Content-Type", "").startswith("application/json")
        if status in (401, 403, 404) and (json or status == 404):
            return None
        return f"{url} answered {status} ({response.get('Content-Type', '')})"
    if status == 403:
        page = response.content.decode()
        if "<h1>Not allowed</h1>" not in page:
            return "a 403 without the 403 page"
        reason = re.search(r"<h1>Not allowed</h1>\s*<p>(.*?)</p>", page, re.S)
        if not reason or reason.group(1).strip() == "You may not open this page.":
            return "a 403 page without its reason"
        return None
    if status == 404:
        return None
    location = response.get("Location", "")
    if status == 302 and ("/accounts/login/" in location or (mfa and "/accounts/2fa/" in location)):
        return None
    return f"answered {status} {location}".strip()


def _probe_all(client, world, persona, routes, *, mfa=False):
    problems, tried, pages_403 = [], 0, 0
    client.force_login(world["people"][persona])
    for name, pattern in routes:
        method, allowed = RULES[name]
        # Without two-factor, staff reach only what anyone may (the matrix's rule for them).
        if ("anonymous" if mfa else persona) in allowed:
            continue
        events = AuditEvent.objects.count()
        url, response = _probe(client, name, pattern, world, method)
        tried += 1
        pages_403 += response.status_code == 403
        problem = _refusal_problem(url, response, mfa=mfa, empty_is_bad=not allowed)
        if problem is None and method == "POST" and AuditEvent.objects.count() != events:
            problem = "a refused post changed something (the audit log grew)"
        if problem:
            problems.append(f"{persona} {method} {url}: {problem}")
    return problems, tried, pages_403


def _routes():
    return [(n, p) for n, p in _named_routes() if n in RULES]


def test_every_page_refuses_an_outsider_and_a_participant_with_the_403_page_or_a_404(
    client, world, settings
):
    settings.REQUIRE_STAFF_MFA = False
    problems, tried, pages = [], 0, 0
    for persona in ("outsider", "participant"):
        found, n, p = _probe_all(client, world, persona, _routes())
        problems += found
        tried += n
        pages += p
    summarise(pairs=tried)
    print(f"\nFIGURE refused pages: {tried} pairs tried, {pages} 403 pages, 0 server errors")
    assert problems == [], "\n".join(problems)
    assert pages > 0


def test_every_staff_page_refuses_a_participant_with_the_reason(client, world, settings):
    settings.REQUIRE_STAFF_MFA = False
    client.force_login(world["people"]["participant"])
    refused = []
    for name, pattern in _routes():
        method, _ = RULES[name]
        if name not in STAFF_PAGES or name.startswith("api:") or "<" in str(pattern.pattern):
            continue
        url, response = _probe(client, name, pattern, world, method)
        if url.startswith(MACHINE):
            continue
        if response.status_code == 403:
            refused.append(url)
            page = response.content.decode()
            assert "This page is for a programme&#x27;s " in page, url
            assert "you hold no staff role." in page, url
    assert len(refused) >= 8, refused


def test_every_page_refuses_staff_without_two_factor(client, world, settings):
    settings.REQUIRE_STAFF_MFA = True
    problems, tried = [], 0
    for persona in ("reviewer", "finance", "manager"):
        found, n, _ = _probe_all(client, world, persona, _routes(), mfa=True)
        problems += found
        tried += n
    summarise(pairs=tried)
    print(f"\nFIGURE refused pages, staff without two-factor: {tried} pairs, 0 server errors")
    assert problems == [], "\n".join(problems)
