from django.urls import path

from . import views

app_name = "participants"
urlpatterns = [
    path("", views.home, name="home"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("programmes/<slug:slug>/", views.programme, name="programme"),
    path("programmes/<slug:slug>/consent/", views.consent, name="consent"),
    path("programmes/<slug:slug>/apply/", views.apply, name="apply"),
    path("programmes/<slug:slug>/withdraw/", views.withdraw, name="withdraw"),
    path("my-data/", views.my_data, name="my_data"),
]
