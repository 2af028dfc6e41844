from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("compare/", views.compare, name="compare"),
    path("<slug:slug>/", views.programme_detail, name="detail"),
    path("<slug:slug>/terms/<int:number>/", views.terms_detail, name="terms"),
    path("<slug:slug>/terms/diff/", views.terms_diff_view, name="diff"),
    path("<slug:slug>/figures.json", views.figures_json, name="figures_json"),
    path("<slug:slug>/figures.csv", views.figures_csv, name="figures_csv"),
]
