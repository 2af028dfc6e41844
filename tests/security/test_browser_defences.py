"""Browser defences: what every page tells the browser, and how long a staff session lasts.

- Every page of every route (the authorization matrix's routes, as every persona) carries a
  Content-Security-Policy that allows script and style only from this site, and no page
  holds inline script, inline style, an event-handler attribute or a `javascript:` link
  (which that policy would block).
- Every answer to a signed-in person (pages, API, downloads, the page that shows a new
  token once) carries `Cache-Control: no-store`; public pages for anonymous readers don't.
- A staff session ends after `STAFF_IDLE_MINUTES` without a request; a participant's does
  not; the API docs run without inline script.
- An output file that is an image and HTML at once is sent as a download in a sandbox.

Figure: pages checked, pages without the policy or with inline code (must be 0).
"""

import re
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from api.services import token_create
from approvals import services as approvals
from programs.downloads import INLINE_TYPES
from tests.conftest import summarise

from .test_authorization_matrix import PERSONAS, RULES, _kwargs, _named_routes

INLINE = [
    # <script> without src= that is not a JSON data block
    re.compile(rb"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    re.compile(rb"<style[\s>]", re.I),
    re.compile(rb"\sstyle=", re.I),
    re.compile(rb"\son[a-z]+=", re.I),
    re.compile(rb"javascript:", re.I),
]


def _csp(response) -> dict[str, str]:
    header = response.get("Content-Security-Policy", "")
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_every_page_has_a_content_security_policy_and_no_inline_code(client, world, settings):
    settings.REQUIRE_STAFF_MFA = False
    checked, problems = 0, []
    routes = [(n, p) for n, p in _named_routes() if RULES.get(n, ("",))[0] == "GET"]
    for persona in PERSONAS:
        client.logout()
        if persona != "anonymous":
            client.force_login(world["people"][persona])
        for name, pattern in routes:
            url = reverse(name, kwargs=_kwargs(name, pattern, world))
            if name in ("programs:diff", "api:terms-diff"):
                url += "?from=1&to=1"
            response = client.get(url)
            checked += 1
            policy = _csp(response)
            if "sandbox" in policy:  # a file: sent as a download that cannot run
                shown = response["Content-Disposition"].startswith("inline")
                # Only a picture or video of a safe type is ever shown in the page (a preview).
                assert not shown or response["Content-Type"] in INLINE_TYPES, url
                assert shown or response["Content-Disposition"].startswith("attachment"), url
                assert response["X-Content-Type-Options"] == "nosniff", url
                continue
            if policy.get("script-src") != "script-src 'self'" or "unsafe" in str(policy):
                problems.append(f"{persona} {url}: policy {policy}")
            if policy.get("frame-ancestors") != "frame-ancestors 'none'":
                problems.append(f"{persona} {url}: may be framed")
            if "html" in response.get("Content-Type", "") and not response.streaming:
                for pattern_ in INLINE:
                    if found := pattern_.search(response.content):
                        problems.append(f"{persona} {url}: inline {found.group(0)[:40]!r}")
    for url in ("/", "/accounts/login/", "/api/docs/", "/no-such-page/", "/admin/login/"):
        client.logout()
        response = client.get(url, follow=True)
        checked += 1
        if "script-src 'self'" not in response.get("Content-Security-Policy", ""):
            problems.append(f"anonymous {url}: no policy")
        for pattern_ in INLINE:
            if found := pattern_.search(response.content):
                problems.append(f"anonymous {url}: inline {found.group(0)[:40]!r}")
    summarise(pairs=checked)
    print(f"FIGURE content security policy: {checked} pages checked, {len(problems)} problems")
    assert problems == []


def test_the_api_docs_start_swagger_from_a_script_file(client, db):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    script = re.search(rb'<script src="([^"]*script=[^"]*)"', page.content)
    assert script, "the start-up script is not a file"
    start = client.get(script.group(1).decode().replace("&amp;", "&"))
    assert start.status_code == 200 and b"SwaggerUIBundle" in start.content
    assert "javascript" in start["Content-Type"]


def test_every_signed_in_answer_is_no_store_and_public_pages_are_not(
    client, world, settings, participant, finance
):
    settings.REQUIRE_STAFF_MFA = False
    checked, cached = 0, []
    routes = [(n, p) for n, p in _named_routes() if RULES.get(n, ("",))[0] == "GET"]
    for person in (participant, finance):
        client.force_login(person)
        for name, pattern in routes:
            url = reverse(name, kwargs=_kwargs(name, pattern, world))
            if name in ("programs:diff", "api:terms-diff"):
                url += "?from=1&to=1"
            response = client.get(url)
            checked += 1
            if "no-store" not in response.get("Cache-Control", ""):
                cached.append(f"{person.email} {url} → {response.status_code}")
    # The page that shows a new token once.
    client.force_login(participant)
    shown = client.post(reverse("api:tokens"), {"name": "laptop", "scope": "read"}, follow=True)
    assert "tt_" in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    # Public pages read anonymously may be cached.
    client.logout()
    public = client.get(reverse("transparency:detail", args=[world["slug"]]))
    assert "no-store" not in public.get("Cache-Control", "")
    print(f"FIGURE no-store: {checked} signed-in answers checked, {len(cached)} cacheable")
    assert cached == []


def test_a_token_authenticated_api_answer_is_no_store(programme, participant, client):
    token = token_create(actor=participant, name="t", scope="read")[1]
    response = client.get("/api/v1/programmes/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def _idle(client, minutes: int) -> None:
    session = client.session
    session["tt_staff_seen"] = int(time.time()) - minutes * 60
    session.save()


def test_a_staff_session_ends_after_the_idle_limit(client, settings, reviewer):
    settings.REQUIRE_STAFF_MFA = False
    settings.STAFF_IDLE_MINUTES = 30
    client.force_login(reviewer)
    assert client.get(reverse("approvals:queue")).status_code == 200
    _idle(client, 29)
    assert client.get(reverse("approvals:queue")).status_code == 200
    _idle(client, 31)
    gone = client.get(reverse("approvals:queue"))
    assert gone.status_code == 302 and "/accounts/login/" in gone["Location"]
    login = client.get(gone["Location"])
    assert "signed out after 30 minutes without activity" in login.content.decode()
    # Signed out for good, not only for that request.
    again = client.get(reverse("approvals:queue"))
    assert again.status_code == 302 and "/accounts/login/" in again["Location"]


def test_a_participant_keeps_the_two_week_session(client, settings, participant):
    settings.STAFF_IDLE_MINUTES = 30
    client.force_login(participant)
    _idle(client, 24 * 60)
    assert client.get(reverse("feedback:mine")).status_code == 200
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_a_participant_who_also_holds_a_staff_role_gets_the_staff_limit(
    client, settings, programme, participant
):
    from programs.models import ProgrammeRole

    settings.REQUIRE_STAFF_MFA = False
    ProgrammeRole.objects.create(programme=programme, user=participant, role="reviewer")
    client.force_login(participant)
    _idle(client, 31)
    assert client.get(reverse("feedback:mine")).status_code == 302


def test_an_image_that_is_also_html_is_sent_as_a_sandboxed_download(
    settings, tmp_path, programme, participant, as_user
):
    """Uploads refuse polyglots now; a file stored before that rule (or written to the
    storage by someone else) still goes out sandboxed, as a download."""
    from tests.security.test_downloads import PNG

    settings.MEDIA_ROOT = tmp_path / "media"
    output = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Poly",
        intended_use="social",
        upload=SimpleUploadedFile("x.png", PNG, content_type="image/png"),
    )
    polyglot = PNG + b"<html><script>alert(1)</script>"
    with open(output.file.path, "wb") as stored:
        stored.write(polyglot)
    response = as_user(participant).get(reverse("approvals:file", args=[output.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert "html" not in response["Content-Type"]
