"""Every page of the labour log, with its full path (the project includes this at "")."""

from django.urls import path

from core.redirects import moved

from . import views

app_name = "labour"
urlpatterns = [
    # Participant portal
    path("hours/", views.mine, name="mine"),
    path("hours/<int:pk>/edit/", views.edit, name="edit"),
    # Staff
    path("hours/queue/", views.queue, name="queue"),
    path("hours/queue/review/", views.review, name="review"),
    # The addresses of these pages before the labour log had its own app.
    path("tickets/hours/", moved("labour:mine")),
    path("tickets/hours/<int:pk>/edit/", moved("labour:edit")),
    path("tickets/hours/queue/", moved("labour:queue")),
    path("tickets/hours/queue/review/", moved("labour:review")),
]
