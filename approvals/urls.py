"""Output approval: the review queue (/review/), my outputs (/outputs/), the proof (/verify/).

An output's three pages (the review page, the participant's page and the public proof)
also show what apps above approvals add about an output (publicity: its promotional uses
and the tester's training choice). Approvals may not import those apps, so this URLconf
is made by `urls(output_parts=...)`, which config/urls.py (the top floor, which imports
every app) calls with them: each part is `part(request, submission, *, public) -> HTML`,
handed to those views as a URL argument, as `downloads.serve` gets its model.
"""

from collections.abc import Callable, Sequence

from django.urls import path

from programs import downloads

from . import views
from .models import OutputSubmission

OutputPart = Callable[..., str]


def urls(*, output_parts: Sequence[OutputPart] = ()) -> tuple[list, str]:
    """(urlpatterns, app_name) for `include()`."""
    parts = {"parts": tuple(output_parts)}
    patterns = [
        # Staff: the review queue.
        path("review/", views.queue, name="queue"),
        path("review/bulk-approve/", views.bulk_approve, name="bulk_approve"),
        path("review/reasons/", views.reasons, name="reasons"),
        path("review/reasons/<int:pk>/toggle/", views.reason_toggle, name="reason_toggle"),
        path("review/<int:pk>/", views.detail, parts, name="detail"),
        path("review/<int:pk>/claim/", views.claim, name="claim"),
        path("review/<int:pk>/release/", views.release, name="release"),
        path("review/<int:pk>/decide/", views.decide, parts, name="decide"),
        # The file itself, shown in the review page: pictures and videos only, for its reviewers.
        path(
            "review/<int:pk>/preview/",
            downloads.serve,
            {"model": OutputSubmission, "variant": "preview", "action": "review"},
            name="preview",
        ),
        # Participants: my outputs.
        path("outputs/", views.mine, name="mine"),
        path("outputs/new/", views.submit, name="submit"),
        path("outputs/<int:pk>/", views.my_detail, parts, name="output"),
        path("outputs/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
        path("outputs/<int:pk>/resubmit/", views.resubmit, name="resubmit"),
        path("outputs/<int:pk>/appeal/", views.appeal, name="appeal"),
        path("outputs/<int:pk>/file/", downloads.serve, {"model": OutputSubmission}, name="file"),
        # A picture or video of one's own output shown in its page and list (inline).
        path(
            "outputs/<int:pk>/thumbnail/",
            downloads.serve,
            {"model": OutputSubmission, "variant": "preview"},
            name="thumbnail",
        ),
        # Anyone with the link: proof of permission.
        path("verify/<str:token>/", views.verify, parts, name="verify"),
    ]
    return patterns, "approvals"
