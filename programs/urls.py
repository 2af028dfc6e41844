from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("<slug:slug>/terms/<int:number>/", views.terms_detail, name="terms"),
    path("<slug:slug>/terms/diff/", views.terms_diff_view, name="diff"),
]
