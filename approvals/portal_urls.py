"""The participant's side of output approval, mounted at /outputs/."""

from django.urls import path

from . import views

app_name = "outputs"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("new/", views.submit, name="submit"),
    path("<int:pk>/", views.my_detail, name="detail"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/resubmit/", views.resubmit, name="resubmit"),
    path("<int:pk>/appeal/", views.appeal, name="appeal"),
    path("<int:pk>/file/", views.file, name="file"),
]
