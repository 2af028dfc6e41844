"""Integrations' pages, included at the root (full paths here)."""

from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("staff/programmes/<slug:slug>/webhooks/", views.webhooks, name="webhooks"),
]
