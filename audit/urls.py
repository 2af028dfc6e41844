from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("mine/", views.my_events, name="mine"),
    path("checkpoints/", views.public_checkpoints, name="checkpoints"),
]
