"""What provenance adds to pages of apps below it: the content credentials of an output (its
pages and its public proof page; config/urls.py hands `output_part` to approvals' URLconf, as
publicity's), and the consent registry and training checks of a programme (its public page,
which transparency, above, composes with `programme_part`)."""

from django.core.cache import cache
from django.template.loader import render_to_string

from . import credentials, permissions, selectors
from .models import ConsentEntry, Credential

CHECK_SECONDS = 600


def server_check(credential: Credential, media_type: str) -> dict:
    """c2pa-python reads the stored signed copy back (kept for ten minutes per copy)."""
    key = f"provenance:check:{credential.pk}:{credential.signed_sha256}"
    found = cache.get(key)
    if found is None:
        try:
            with credential.file.open("rb") as handle:
                found = credentials.summary(credentials.read(handle, media_type))
        except (OSError, ValueError) as exc:
            found = {"found": False, "error": f"The signed copy cannot be read: {exc}"}
        cache.set(key, found, CHECK_SECONDS)
    return found


def output_part(request, submission, *, public=False) -> str:
    entry = (
        ConsentEntry.objects.filter(submission_id=submission.pk).select_related("programme").first()
    )
    if entry is None:
        return ""
    user = getattr(request, "user", None)
    history = list(entry.credentials.order_by("-pk"))
    current = next((c for c in history if c.superseded_at is None), None)
    check = None
    if current is not None and current.status == Credential.Status.SIGNED and current.file:
        check = server_check(current, entry.media_type)
    may_download = bool(
        user
        and current is not None
        and current.status == Credential.Status.SIGNED
        and ConsentEntry.objects.restrict(user).filter(pk=entry.pk).exists()
    )
    uses = [
        (label, permissions.uses(entry.training_allowed)[purpose])
        for purpose, label in permissions.PURPOSES.items()
    ]
    return render_to_string(
        "provenance/_credentials.html",
        {
            "entry": entry,
            "current": current,
            "superseded": [c for c in history if c.superseded_at is not None],
            "check": check,
            "may_download": may_download,
            "uses": uses,
            "public": public,
        },
        request=request,
    )


def programme_part(request, programme, figures: dict) -> str:
    """The programme's public page: its figures as of their snapshot (this app's section of
    them, `selectors.transparency_section`), counted live only where there is none."""
    figures = figures or {}
    counts = figures.get("training_checks") or selectors.check_counts(programme)
    registry = figures.get("consent_registry") or selectors.registry_counts(programme)
    return render_to_string(
        "provenance/_programme.html",
        {
            "programme": programme,
            "counts": counts,
            "sentence": selectors.check_sentence(counts),
            "registry": registry,
        },
        request=request,
    )
