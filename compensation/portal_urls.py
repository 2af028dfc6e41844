from django.urls import path

from . import portal_views

app_name = "statement"
urlpatterns = [
    path("", portal_views.home, name="home"),
    path("statement.csv", portal_views.statement_csv, name="csv"),
]
