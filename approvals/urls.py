"""Staff pages of output approval, mounted at /review/."""

from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk-approve/", views.bulk_approve, name="bulk_approve"),
    path("reasons/", views.reasons, name="reasons"),
    path("reasons/<int:pk>/toggle/", views.reason_toggle, name="reason_toggle"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("<int:pk>/release/", views.release, name="release"),
    path("<int:pk>/decide/", views.decide, name="decide"),
]
