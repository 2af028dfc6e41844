"""Provenance's public pages and files, included at the root (full paths here)."""

from django.urls import path

from programs import downloads

from . import views
from .models import ConsentEntry

app_name = "provenance"
urlpatterns = [
    path("programmes/<slug:slug>/consent-registry.json", views.registry_json, name="registry"),
    path("programmes/<slug:slug>/training-data-summary/", views.summary, name="summary"),
    path(
        "programmes/<slug:slug>/training-data-summary.json",
        views.summary_json,
        name="summary_json",
    ),
    path("schemas/consent-registry-v1.schema.json", views.schema, name="schema"),
    path(".well-known/tdmrep.json", views.tdmrep, name="tdmrep"),
    path("tdm-policy.json", views.tdm_policy, name="tdm_policy"),
    # The signed copy carrying the current credential: its tester and the programme's staff.
    path(
        "outputs/credentials/<int:pk>/file/",
        downloads.serve,
        {"model": ConsentEntry},
        name="signed_file",
    ),
]
