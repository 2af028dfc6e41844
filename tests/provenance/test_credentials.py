"""Content credentials: every approved output's file gets a C2PA manifest signed into a copy of it
in the worker, which c2pa-python reads back with the training assertion of the output's own
choice; a withdrawal makes a new manifest and supersedes the old; the proof page shows and
checks the credentials and offers the signed copy through the checked download path."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from approvals import services as approvals
from provenance import credentials
from provenance.models import ConsentEntry, Credential, KnownHash
from tests.support.media import video

from .conftest import approve, mp4_bytes, png_bytes, read_signed, set_terms, submit_file

NOT_ALLOWED = dict.fromkeys(
    ["cawg.ai_training", "cawg.ai_generative_training", "cawg.ai_inference", "cawg.data_mining"],
    "notAllowed",
)
CONSTRAINED = dict.fromkeys(NOT_ALLOWED, "constrained")


def test_an_approved_png_carries_a_manifest_c2pa_reads_back_with_the_training_assertion(
    programme, participant, reviewer, django_capture_on_commit_callbacks
):
    submission = submit_file(participant, programme, png_bytes(), "still.png", "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        approve(submission, reviewer)
    entry = ConsentEntry.objects.get(submission=submission)
    reading = read_signed(entry)
    facts = credentials.summary(reading)
    assert reading.ok and facts["state"] == "Trusted"  # the embedded run trusts its test root
    assert facts["training"] == NOT_ALLOWED  # the fair terms say: no training use
    consent = facts["consent"]
    assert consent["programme"]["name"] == "Alpha"
    assert consent["terms"]["version"] == 1
    assert consent["approval"]["decision"] == "approved" and consent["approval"]["deemed"] is False
    assert consent["proof"].endswith(reverse("approvals:verify", args=[submission.verify_token]))
    assert consent["content_sha256"] == submission.content_hash
    work = reading.assertion("stds.schema-org.CreativeWork")
    assert work["author"] == [{"@type": "Person", "name": "withheld"}]
    credential = entry.current_credential()
    assert credential.manifest_label == reading.label and credential.manifest_label.startswith(
        "urn:c2pa:"
    )
    # The signed copy is a different file from the one delivered; both hashes are known.
    assert credential.signed_sha256 != submission.content_hash
    assert set(KnownHash.objects.filter(entry=entry).values_list("sha256", flat=True)) == {
        submission.content_hash,
        credential.signed_sha256,
    }


def test_an_approved_mp4_carries_a_manifest_with_the_testers_own_choice(
    programme, per_output, participant, reviewer, client, django_capture_on_commit_callbacks
):
    submission = submit_file(participant, programme, mp4_bytes(), "clip.mp4", "video/mp4")
    client.force_login(participant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("publicity:training", args=[submission.pk]), {"allowed": "yes"})
        approve(submission, reviewer)
    entry = ConsentEntry.objects.get(submission=submission)
    reading = read_signed(entry)
    assert reading.ok, reading
    training = reading.assertion("cawg.training-mining")["entries"]
    assert {k: v["use"] for k, v in training.items()} == CONSTRAINED
    assert "Only by the organiser of Alpha" in training["cawg.ai_training"]["constraint_info"]
    assert entry.training_allowed and entry.consent["basis"] == "choice"


def test_withdrawing_training_use_yields_a_new_manifest_and_the_old_one_is_superseded(
    programme, per_output, participant, reviewer, client, django_capture_on_commit_callbacks
):
    submission = submit_file(participant, programme, png_bytes(), "still.png", "image/png")
    client.force_login(participant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("publicity:training", args=[submission.pk]), {"allowed": "yes"})
        approve(submission, reviewer)
    entry = ConsentEntry.objects.get(submission=submission)
    first = entry.current_credential()
    assert credentials.summary(read_signed(entry))["training"] == CONSTRAINED

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("publicity:training", args=[submission.pk]), {"allowed": "no"})
    entry.refresh_from_db()
    second = entry.current_credential()
    assert second.pk != first.pk and second.manifest_label != first.manifest_label
    assert credentials.summary(read_signed(entry))["training"] == NOT_ALLOWED
    first.refresh_from_db()
    assert first.superseded_at is not None and not entry.training_allowed

    # New downloads carry the new manifest.
    download = client.get(reverse("provenance:signed_file", args=[entry.pk]))
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    import io

    assert credentials.summary(credentials.read(io.BytesIO(body), "image/png"))["training"] == (
        NOT_ALLOWED
    )
    # The proof page lists the old one as superseded.
    page = client.get(reverse("approvals:verify", args=[submission.verify_token]))
    text = page.content.decode()
    assert "Superseded credentials" in text and first.manifest_label in text
    assert second.manifest_label in text


def test_signing_happens_in_the_worker_after_commit_never_in_the_request(
    programme, participant, reviewer
):
    submission = submit_file(participant, programme, png_bytes(), "still.png", "image/png")
    approve(submission, reviewer)  # the transaction of the test never commits: no task ran
    credential = Credential.objects.get(entry__submission=submission)
    assert credential.status == Credential.Status.PENDING and not credential.file
    # The beat sweep signs what was left pending (a broker that was down when it was queued).
    from provenance import services

    Credential.objects.filter(pk=credential.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert services.credentials_sign_pending() == 1
    credential.refresh_from_db()
    assert credential.status == Credential.Status.SIGNED and credential.file
    assert services.credential_sign(credential_id=credential.pk) == "skipped"  # twice: once


def test_a_deemed_approved_output_is_signed_and_says_deemed(
    programme, participant, django_capture_on_commit_callbacks
):
    submission = submit_file(participant, programme, png_bytes(), "still.png", "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.deadlines_sweep(now=timezone.now() + timedelta(hours=100))
    submission.refresh_from_db()
    assert submission.status == "deemed_approved"
    consent = credentials.summary(read_signed(submission.consent_entry))["consent"]
    assert consent["approval"] == {
        "decision": "deemed_approved",
        "decided_at": consent["approval"]["decided_at"],
        "deemed": True,
    }


def test_a_webm_output_gets_no_credential_but_the_registry_lists_it(
    programme, participant, reviewer, django_capture_on_commit_callbacks
):
    submission = submit_file(participant, programme, video("webm"), "clip.webm", "video/webm")
    assert submission.file_type == "video/webm"
    with django_capture_on_commit_callbacks(execute=True):
        approve(submission, reviewer)
    entry = ConsentEntry.objects.get(submission=submission)
    credential = entry.credentials.get()
    assert credential.status == Credential.Status.UNSUPPORTED
    assert "cannot carry a C2PA manifest" in credential.error
    assert KnownHash.objects.filter(entry=entry, sha256=submission.content_hash).exists()


def test_a_video_c2pa_cannot_parse_is_marked_failed_and_its_pages_still_answer(
    programme, participant, reviewer, client, django_capture_on_commit_callbacks
):
    # A real video passes the upload check; its stored copy is then damaged (storage rot, a
    # bad restore) so that c2pa cannot parse it when the worker signs it.
    submission = submit_file(participant, programme, mp4_bytes(), "clip.mp4", "video/mp4")
    damaged = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\xff\xffmoov"
    with open(submission.file.path, "wb") as stored:
        stored.write(damaged + b"\x00" * 64)
    with django_capture_on_commit_callbacks(execute=True):
        approve(submission, reviewer)
    credential = Credential.objects.get(entry__submission=submission)
    assert credential.status == Credential.Status.FAILED and credential.error
    page = client.get(reverse("approvals:verify", args=[submission.verify_token]))
    assert page.status_code == 200 and "Could not be signed" in page.content.decode()


def test_the_proof_page_shows_the_credentials_checked_on_the_server_and_the_download_to_its_tester(
    programme, participant, participant2, reviewer, client, django_capture_on_commit_callbacks
):
    submission = submit_file(participant, programme, png_bytes(), "still.png", "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        approve(submission, reviewer)
    entry = submission.consent_entry
    url = reverse("approvals:verify", args=[submission.verify_token])
    anonymous = client.get(url).content.decode()
    assert "Content credentials" in anonymous
    assert "Checked on the server: trusted" in anonymous
    assert entry.current_credential().signed_sha256 in anonymous
    assert reverse("provenance:signed_file", args=[entry.pk]) not in anonymous
    file_url = reverse("provenance:signed_file", args=[entry.pk])
    assert client.get(file_url).status_code == 302  # to the log-in
    client.force_login(participant2)
    assert client.get(file_url).status_code == 404
    client.force_login(participant)
    assert file_url in client.get(url).content.decode()
    response = client.get(file_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Checksum-SHA256"] == entry.current_credential().signed_sha256
    client.force_login(reviewer)
    assert client.get(file_url).status_code == 200


def test_a_changed_server_copy_fails_the_server_check(
    programme, participant, reviewer, client, django_capture_on_commit_callbacks
):
    submission = submit_file(participant, programme, png_bytes(), "still.png", "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        approve(submission, reviewer)
    credential = submission.consent_entry.current_credential()
    path = credential.file.path
    data = bytearray(open(path, "rb").read())
    # Change one pixel byte of the image data (the IDAT chunk), not the manifest.
    at = data.index(b"IDAT") + 12
    data[at] ^= 0xFF
    open(path, "wb").write(bytes(data))
    page = client.get(reverse("approvals:verify", args=[submission.verify_token]))
    assert "Checked on the server: does not validate" in page.content.decode()


def test_terms_naming_testers_credit_them_by_name(
    programme, participant, reviewer, django_capture_on_commit_callbacks
):
    set_terms(programme, promotional_use="consent", promotion_credit="named")
    participant.first_name, participant.last_name = "Ada", "Lovelace"
    participant.save()
    submission = submit_file(participant, programme, png_bytes(), "still.png", "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        approve(submission, reviewer)
    work = read_signed(submission.consent_entry).assertion("stds.schema-org.CreativeWork")
    assert work["author"] == [{"@type": "Person", "name": "Ada Lovelace"}]


def test_outputs_approved_before_the_registry_existed_get_entries_from_the_beat_sweep(
    programme, participant, reviewer, django_capture_on_commit_callbacks
):
    from provenance import services
    from provenance.tasks import sign_pending

    submission = approve(
        submit_file(participant, programme, png_bytes(), "old.png", "image/png"), reviewer
    )
    entry = ConsentEntry.objects.get(submission=submission)
    # As if approved before provenance existed (or its worker task was lost).
    KnownHash.objects.filter(entry=entry).delete()
    entry.changes.all()._raw_delete(entry.changes.db)
    Credential.objects.filter(entry=entry).delete()
    entry.delete()
    with django_capture_on_commit_callbacks(execute=True):
        sign_pending.run()
    entry = ConsentEntry.objects.get(submission=submission)
    assert services.entries_open_missing() == 0  # twice: once
    assert credentials.summary(read_signed(entry))["training"] == NOT_ALLOWED
