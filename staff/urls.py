"""The staff home (/staff/): what needs attention across the apps a person works in."""

from django.urls import path

from . import views

app_name = "staff"
urlpatterns = [
    path("staff/", views.home, name="home"),
]
