from django.urls import path

from . import views

app_name = "publicity"
urlpatterns = [
    path("publicity/uses/", views.uses, name="uses"),
    path("publicity/uses/<int:pk>/answer/", views.use_answer, name="use_answer"),
    path("publicity/outputs/<int:pk>/promote/", views.use_request, name="use_request"),
    path("publicity/outputs/<int:pk>/training/", views.training, name="training"),
    path(
        "publicity/programmes/<slug:slug>/training/",
        views.training_default,
        name="training_default",
    ),
    path(
        "publicity/programmes/<slug:slug>/credit/",
        views.credit_name,
        name="credit_name",
    ),
    path("programmes/<slug:slug>/competitions/", views.competitions, name="competitions"),
    path(
        "publicity/programmes/<slug:slug>/competitions/new/",
        views.competition_new,
        name="competition_new",
    ),
    path("competitions/<int:pk>/", views.competition, name="competition"),
    path("competitions/<int:pk>/enter/", views.competition_enter, name="competition_enter"),
    path(
        "competitions/<int:pk>/withdraw/",
        views.competition_withdraw,
        name="competition_withdraw",
    ),
    path("competitions/<int:pk>/results/", views.competition_results, name="competition_results"),
]
