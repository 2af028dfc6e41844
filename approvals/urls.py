"""Output approval: the review queue (/review/), my outputs (/outputs/), the proof (/verify/)."""

from django.urls import path

from programs import downloads

from . import views
from .models import OutputSubmission

app_name = "approvals"
urlpatterns = [
    # Staff: the review queue.
    path("review/", views.queue, name="queue"),
    path("review/bulk-approve/", views.bulk_approve, name="bulk_approve"),
    path("review/reasons/", views.reasons, name="reasons"),
    path("review/reasons/<int:pk>/toggle/", views.reason_toggle, name="reason_toggle"),
    path("review/<int:pk>/", views.detail, name="detail"),
    path("review/<int:pk>/claim/", views.claim, name="claim"),
    path("review/<int:pk>/release/", views.release, name="release"),
    path("review/<int:pk>/decide/", views.decide, name="decide"),
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
    path("outputs/<int:pk>/", views.my_detail, name="output"),
    path("outputs/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("outputs/<int:pk>/resubmit/", views.resubmit, name="resubmit"),
    path("outputs/<int:pk>/appeal/", views.appeal, name="appeal"),
    path("outputs/<int:pk>/file/", downloads.serve, {"model": OutputSubmission}, name="file"),
    # Anyone with the link: proof of permission.
    path("verify/<str:token>/", views.verify, name="verify"),
]
