"""Every page of participants, with its full path (the project includes this at "")."""

from django.urls import path

from . import staff_views, views

app_name = "participants"
urlpatterns = [
    # Participant portal
    path("portal/invitations/<str:token>/", views.invitation, name="invitation"),
    path("portal/programmes/<slug:slug>/", views.programme, name="programme"),
    path("portal/programmes/<slug:slug>/consent/", views.consent, name="consent"),
    path("portal/programmes/<slug:slug>/apply/", views.apply, name="apply"),
    path("portal/programmes/<slug:slug>/withdraw/", views.withdraw, name="withdraw"),
    # Staff: the participants of one programme
    path(
        "staff/programmes/<slug:slug>/participants/",
        staff_views.participants,
        name="staff_participants",
    ),
    path(
        "staff/programmes/<slug:slug>/participants/<int:pk>/",
        staff_views.participant_action,
        name="staff_participant_action",
    ),
    path(
        "staff/programmes/<slug:slug>/invitations/",
        staff_views.invitations,
        name="staff_invitations",
    ),
    path(
        "staff/programmes/<slug:slug>/invitations/upload/",
        staff_views.invitations_csv,
        name="staff_invitations_csv",
    ),
    path(
        "staff/programmes/<slug:slug>/invitations/<int:pk>/resend/",
        staff_views.invitation_resend,
        name="staff_invitation_resend",
    ),
    path(
        "staff/programmes/<slug:slug>/invitations/<int:pk>/extend/",
        staff_views.invitation_extend,
        name="staff_invitation_extend",
    ),
    path(
        "staff/programmes/<slug:slug>/invitations/<int:pk>/revoke/",
        staff_views.invitation_revoke,
        name="staff_invitation_revoke",
    ),
    path(
        "staff/programmes/<slug:slug>/applications/",
        staff_views.applications,
        name="staff_applications",
    ),
    path(
        "staff/programmes/<slug:slug>/applications/<int:pk>/",
        staff_views.application_decide,
        name="staff_application_decide",
    ),
    path("staff/programmes/<slug:slug>/pauses/", staff_views.pauses, name="pauses"),
    path(
        "staff/programmes/<slug:slug>/pauses/<int:pk>/end/",
        staff_views.pause_end,
        name="pause_end",
    ),
]
