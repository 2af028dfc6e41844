from django.urls import path

from programs import downloads

from . import views
from .models import TicketAttachment

app_name = "feedback"
urlpatterns = [
    # Participant portal
    path("", views.my_tickets, name="mine"),
    path("new/", views.ticket_new, name="new"),
    path("similar/", views.similar, name="similar"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/comment/", views.ticket_comment, name="comment"),
    path(
        "attachments/<int:pk>/",
        downloads.serve,
        {"model": TicketAttachment},
        name="attachment",
    ),
    # Staff
    path("<int:pk>/status/", views.ticket_status, name="status"),
    path("<int:pk>/assign/", views.ticket_assign, name="assign"),
    path("triage/", views.triage, name="triage"),
    path("triage/bulk/", views.triage_bulk, name="triage_bulk"),
]
