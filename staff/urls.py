"""The staff home (/staff/): what needs attention across the apps a person works in; the
list of decided outputs; a programme's audit page."""

from django.urls import path

from . import views

app_name = "staff"
urlpatterns = [
    path("staff/", views.home, name="home"),
    # Reviewers and managers: outputs already decided (the queue holds the open ones).
    path("review/decided/", views.decided, name="decided"),
    # Managers: everything recorded about a programme.
    path("staff/programmes/<slug:slug>/audit/", views.programme_audit, name="programme_audit"),
    path(
        "staff/programmes/<slug:slug>/audit/export.csv",
        views.programme_audit_csv,
        name="programme_audit_csv",
    ),
]
