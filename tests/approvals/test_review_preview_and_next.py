"""Reviewing an output: the picture or video itself on the review page (inline only for
safe types, only for its reviewers), and "Record and open the next item"."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.models import OutputSubmission
from programs.downloads import Download, send
from tests.support.media import video

from .conftest import PNG, png_upload

# Real videos: uploads are parsed by ffprobe, so a header alone is refused (issue 29).
MP4 = video("mp4")
MOV = video("mov")


def _preview(s):
    return reverse("approvals:preview", args=[s.pk])


def test_a_picture_is_shown_on_the_review_page_through_the_checked_path(
    participant, reviewer, submit, as_user
):
    s = submit(participant, upload=png_upload(), url="")
    client = as_user(reviewer)
    page = client.get(reverse("approvals:detail", args=[s.pk]))
    html = page.content.decode()
    assert f'<img src="{_preview(s)}" alt="The submitted picture, “Night swim”">' in html
    assert "<video" not in html
    # The page's own policy lets it show pictures and videos from this site only.
    csp = page["Content-Security-Policy"]
    assert "img-src 'self' data:" in csp and "media-src 'self'" in csp
    response = client.get(_preview(s))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(PNG[:8])
    # The file link stays a download.
    download = client.get(reverse("approvals:file", args=[s.pk]))
    assert download["Content-Disposition"].startswith("attachment;")


def test_a_video_is_shown_in_a_video_player(participant, reviewer, submit, as_user):
    upload = SimpleUploadedFile("clip.mp4", MP4, content_type="video/mp4")
    s = submit(participant, upload=upload, url="")
    client = as_user(reviewer)
    html = client.get(reverse("approvals:detail", args=[s.pk])).content.decode()
    assert f'<video src="{_preview(s)}" controls' in html and "<img src" not in html
    response = client.get(_preview(s))
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Disposition"].startswith("inline;")


def test_a_type_a_browser_should_not_show_gets_no_preview_and_its_address_is_404(
    participant, reviewer, submit, as_user
):
    upload = SimpleUploadedFile("clip.mov", MOV, content_type="video/quicktime")
    s = submit(participant, upload=upload, url="")
    client = as_user(reviewer)
    html = client.get(reverse("approvals:detail", args=[s.pk])).content.decode()
    assert "<video" not in html and "<img src" not in html
    assert "the uploaded file" in html
    assert client.get(_preview(s)).status_code == 404


def test_an_svg_or_html_file_is_never_sent_inline(participant, reviewer, submit, as_user):
    s = submit(participant, upload=png_upload(), url="")
    client = as_user(reviewer)
    for dangerous in ("image/svg+xml", "text/html"):
        OutputSubmission.objects.filter(pk=s.pk).update(file_type=dangerous)
        html = client.get(reverse("approvals:detail", args=[s.pk])).content.decode()
        assert "<img src" not in html
        assert client.get(_preview(s)).status_code == 404
        download = client.get(reverse("approvals:file", args=[s.pk]))
        assert download["Content-Disposition"].startswith("attachment;")
        # Even a caller asking for inline gets an attachment for such a type.
        asked = send(Download(filename="x", content_type=dangerous, content=b"<svg/>", inline=True))
        assert asked["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("who", ["participant", "participant2", "outsider", "other_reviewer"])
def test_only_the_items_reviewers_get_the_preview(
    who, request, participant, submit, as_user, programme
):
    s = submit(participant, upload=png_upload(), url="")
    person = request.getfixturevalue(who)
    # Its own participant sees the file as a download on their page, never this preview.
    assert as_user(person).get(_preview(s)).status_code in (403, 404)


def test_an_anonymous_visitor_is_sent_to_log_in_for_a_preview(participant, submit, client):
    s = submit(participant, upload=png_upload(), url="")
    response = client.get(_preview(s))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_without_two_factor_get_no_preview_when_it_is_required(
    settings, participant, reviewer, submit, as_user
):
    s = submit(participant, upload=png_upload(), url="")
    settings.REQUIRE_STAFF_MFA = True
    response = as_user(reviewer).get(_preview(s))
    assert response.status_code in (302, 403)
    assert response.get("Content-Type", "").startswith("image/") is False


# --- Record and open the next item ----------------------------------------------------------


def _decide(client, s, query="", **extra):
    return client.post(
        reverse("approvals:decide", args=[s.pk]) + query, {"outcome": "approved", **extra}
    )


def test_record_and_open_next_goes_to_the_next_item_in_queue_order(
    participant, reviewer, submit, as_user
):
    first, second, third = (submit(participant, title=t) for t in ("One", "Two", "Three"))
    client = as_user(reviewer)
    response = _decide(client, first, next="1")
    assert response.status_code == 302
    assert response["Location"] == reverse("approvals:detail", args=[second.pk])
    page = client.get(response["Location"]).content.decode()
    assert "“One”: approved." in page and "Record and open the next item" in page
    # Newest first: the queue's order is the next item's order.
    response = _decide(client, third, "?sort=newest", next="1")
    assert response["Location"] == reverse("approvals:detail", args=[second.pk]) + "?sort=newest"


def test_record_and_open_next_keeps_the_queues_filter(participant, reviewer, submit, as_user):
    first = submit(participant, title="One", intended_use="press")
    submit(participant, title="Two", intended_use="social")
    third = submit(participant, title="Three", intended_use="press")
    client = as_user(reviewer)
    queue = client.get(reverse("approvals:queue") + "?intended_use=press").content.decode()
    detail_link = reverse("approvals:detail", args=[first.pk]) + "?intended_use=press"
    assert detail_link in queue or reverse("approvals:claim", args=[first.pk]) in queue
    response = _decide(client, first, "?intended_use=press", next="1")
    assert response["Location"] == reverse("approvals:detail", args=[third.pk]) + (
        "?intended_use=press"
    )


def test_record_and_open_next_skips_an_item_another_reviewer_holds(
    participant, reviewer, second_reviewer, submit, as_user, client
):
    first, held, free = (submit(participant, title=t) for t in ("One", "Held", "Free"))
    from django.test import Client

    other = Client()
    other.force_login(second_reviewer)
    other.post(reverse("approvals:claim", args=[held.pk]))
    response = _decide(as_user(reviewer), first, next="1")
    assert response["Location"] == reverse("approvals:detail", args=[free.pk])


def test_record_and_open_next_returns_to_the_queue_when_nothing_remains(
    participant, reviewer, submit, as_user
):
    only = submit(participant, title="Only")
    client = as_user(reviewer)
    response = _decide(client, only, "?sort=oldest", next="1")
    assert response["Location"] == reverse("approvals:queue") + "?sort=oldest"
    page = client.get(response["Location"]).content.decode()
    assert "Nothing else in your queue is waiting for you." in page


def test_a_plain_decision_still_returns_to_the_queue(participant, reviewer, submit, as_user):
    first = submit(participant, title="One")
    submit(participant, title="Two")
    response = _decide(as_user(reviewer), first)
    assert response["Location"] == reverse("approvals:queue")
