"""Every page of the public figures, with its full path (the project includes this at "")."""

from django.urls import path

from . import views

app_name = "transparency"
urlpatterns = [
    path("programmes/compare/", views.compare, name="compare"),
    path("programmes/<slug:slug>/", views.programme_detail, name="detail"),
    path("programmes/<slug:slug>/figures.json", views.figures_json, name="figures_json"),
    path("programmes/<slug:slug>/figures.csv", views.figures_csv, name="figures_csv"),
]
