"""The demo: the criticised programme's public page shows its consent registry and how many
files its model team checked; its approved picture carries content credentials."""

import demo
from provenance.models import ConsentEntry, TrainingCheckTally


def test_the_criticised_programme_shows_its_registry_and_a_check_count(
    db, settings, client, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        ctx = demo.seed()
    demo.seed()  # idempotent: no second token, no second check
    criticised = ctx["criticised"]
    entries = ConsentEntry.objects.filter(programme=criticised)
    assert entries.count() > 1
    assert TrainingCheckTally.objects.filter(programme=criticised).get().calls == 1
    page = client.get(f"/programmes/{criticised.slug}/").content.decode()
    assert (
        f"The model team checked {entries.count() + 40:,} files; 0 were not allowed and 40 unknown."
        in page
    )
    assert f"/programmes/{criticised.slug}/consent-registry.json" in page
    registry = client.get(f"/programmes/{criticised.slug}/consent-registry.json").json()
    assert registry["entries_total"] == entries.count()
    picture = entries.get(kind="file")
    assert picture.current_credential().manifest_label.startswith("urn:c2pa:")
