from django.urls import path

from . import staff_views as views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/new/", views.programme_new, name="programme_new"),
    path("programmes/<slug:slug>/", views.programme, name="programme"),
    path("programmes/<slug:slug>/settings/", views.programme_settings, name="settings"),
    path("programmes/<slug:slug>/status/", views.programme_status, name="status"),
    path("programmes/<slug:slug>/terms/", views.terms_list, name="terms"),
    path("programmes/<slug:slug>/terms/new/", views.terms_new, name="terms_new"),
    path("programmes/<slug:slug>/terms/<int:number>/", views.terms_edit, name="terms_edit"),
    path("programmes/<slug:slug>/roles/", views.roles, name="roles"),
    path("programmes/<slug:slug>/roles/<int:pk>/revoke/", views.role_revoke, name="role_revoke"),
]
