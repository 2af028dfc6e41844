"""Programmes: the public terms pages (/programmes/) and the managers' staff area (/staff/)."""

from django.urls import path

from . import editorial_views, staff_views, translation_views, views

app_name = "programs"
urlpatterns = [
    path("programmes/", views.programme_list, name="list"),
    path("programmes/<slug:slug>/terms/<int:number>/", views.terms_detail, name="terms"),
    path("programmes/<slug:slug>/terms/diff/", views.terms_diff_view, name="diff"),
    # Managers: settings, status, terms and staff roles of their programmes.
    path("staff/programmes/new/", staff_views.programme_new, name="staff_programme_new"),
    path("staff/programmes/<slug:slug>/", staff_views.programme, name="staff_programme"),
    path(
        "staff/programmes/<slug:slug>/settings/",
        staff_views.programme_settings,
        name="staff_settings",
    ),
    path(
        "staff/programmes/<slug:slug>/threshold/<int:pk>/confirm/",
        staff_views.threshold_confirm,
        name="staff_threshold_confirm",
    ),
    path("staff/programmes/<slug:slug>/status/", staff_views.programme_status, name="staff_status"),
    path("staff/programmes/<slug:slug>/terms/", staff_views.terms_list, name="staff_terms"),
    path("staff/programmes/<slug:slug>/terms/new/", staff_views.terms_new, name="staff_terms_new"),
    path(
        "staff/programmes/<slug:slug>/terms/<int:number>/",
        staff_views.terms_edit,
        name="staff_terms_edit",
    ),
    path(
        "staff/programmes/<slug:slug>/terms/<int:number>/editorial/",
        editorial_views.terms_editorial,
        name="staff_terms_editorial",
    ),
    path(
        "staff/programmes/<slug:slug>/terms/<int:number>/translations/",
        translation_views.terms_translate,
        name="staff_terms_translate",
    ),
    path("staff/programmes/<slug:slug>/roles/", staff_views.roles, name="staff_roles"),
    path(
        "staff/programmes/<slug:slug>/roles/<int:pk>/revoke/",
        staff_views.role_revoke,
        name="staff_role_revoke",
    ),
]
