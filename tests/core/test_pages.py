"""The base layout: navigation to the surfaces a person's roles allow, assets from our own files."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _nav(html):
    return re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)


def test_a_participant_sees_the_portal_but_no_staff_links(participant, as_user):
    nav = _nav(as_user(participant).get("/portal/").content.decode())
    assert (
        "My portal" in nav and "Review" not in nav and "Finance" not in nav and "Staff" not in nav
    )


def test_a_reviewer_sees_the_review_queue_link(reviewer, as_user):
    nav = _nav(as_user(reviewer).get("/portal/").content.decode())
    assert "Review" in nav and "Finance" not in nav


def test_finance_sees_finance(finance, as_user):
    nav = _nav(as_user(finance).get("/portal/").content.decode())
    assert "Finance" in nav and "Review" not in nav


def test_a_manager_sees_every_staff_surface(manager, as_user):
    nav = _nav(as_user(manager).get("/portal/").content.decode())
    assert all(word in nav for word in ("Review", "Finance", "Staff"))


def test_public_pages_open_for_anonymous_visitors(client, programme):
    assert client.get("/").status_code == 200
    assert "Alpha" in client.get("/programmes/").content.decode()
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["ok"] is True and health.json()["failing"] == []


def test_session_check_answers_only_the_signed_in(client, django_user_model):
    assert client.get("/session/").status_code == 302  # to sign-in, not a JSON "no"
    client.force_login(django_user_model.objects.create_user("s", "s@example.org", "pw-12345678"))
    assert client.get("/session/").json() == {"signed_in": True}


@pytest.mark.parametrize("ext", ["*.html"])
def test_no_template_loads_anything_from_a_cdn(ext):
    offenders = []
    for path in ROOT.glob(f"**/templates/**/{ext}"):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        if re.search(r'(src|href)="(https?:)?//', text):
            offenders.append(str(path))
    assert offenders == []


def test_pages_are_usable_on_a_phone(client, programme):
    html = client.get("/programmes/").content.decode()
    assert 'name="viewport"' in html
    css = (ROOT / "static/css/app.css").read_text()
    assert "@media (max-width" in css
