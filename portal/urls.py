"""Every page of the portal, with its full path (the project includes this at "")."""

from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/my-data/", views.my_data, name="my_data"),
]
