from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("mine/", views.my_events, name="mine"),
    path("proof/<int:pk>/", views.proof, name="proof"),
    path("receipt/<int:pk>/", views.receipt, name="receipt"),
    path("checkpoints/", views.public_checkpoints, name="checkpoints"),
    path("consistency/", views.consistency_proof, name="consistency"),
    path("cosignatures/", views.cosignatures, name="cosignatures"),
]
