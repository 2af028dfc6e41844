"""`/api/v1/`: the JSON API. Every app contributes its views; visibility rules are the pages'."""

from django.urls import path

from approvals import api as approvals_api
from compensation import api as compensation_api
from feedback import api as feedback_api
from participants import api as participants_api
from programs import api as programs_api

urlpatterns = [
    path("programmes/", programs_api.ProgrammeList.as_view(), name="api-programmes"),
    path("programmes/<slug:slug>/", programs_api.ProgrammeDetail.as_view(), name="api-programme"),
    path("programmes/<slug:slug>/terms/", programs_api.TermsList.as_view(), name="api-terms"),
    path(
        "programmes/<slug:slug>/terms/diff/",
        programs_api.TermsDiffView.as_view(),
        name="api-terms-diff",
    ),
    path(
        "programmes/<slug:slug>/terms/<int:number>/",
        programs_api.TermsDetail.as_view(),
        name="api-terms-version",
    ),
    path(
        "programmes/<slug:slug>/consent/",
        participants_api.ConsentView.as_view(),
        name="api-consent",
    ),
    path(
        "programmes/<slug:slug>/access/",
        participants_api.AccessCheckView.as_view(),
        name="api-access",
    ),
    path(
        "programmes/<slug:slug>/figures/",
        programs_api.FiguresView.as_view(),
        name="api-figures",
    ),
    path("tickets/", feedback_api.TicketList.as_view(), name="api-tickets"),
    path("tickets/<int:pk>/", feedback_api.TicketDetail.as_view(), name="api-ticket"),
    path(
        "tickets/<int:pk>/comments/",
        feedback_api.TicketComments.as_view(),
        name="api-ticket-comments",
    ),
    path("time-entries/", feedback_api.TimeEntryList.as_view(), name="api-time-entries"),
    path("submissions/", approvals_api.SubmissionList.as_view(), name="api-submissions"),
    path("submissions/<int:pk>/", approvals_api.SubmissionDetail.as_view(), name="api-submission"),
    path(
        "submissions/<int:pk>/claim/",
        approvals_api.SubmissionClaim.as_view(),
        name="api-submission-claim",
    ),
    path(
        "submissions/<int:pk>/decide/",
        approvals_api.SubmissionDecide.as_view(),
        name="api-submission-decide",
    ),
    path("ledger-entries/", compensation_api.LedgerEntryList.as_view(), name="api-ledger-entries"),
    path("batches/", compensation_api.BatchList.as_view(), name="api-batches"),
    path("batches/<int:pk>/", compensation_api.BatchDetail.as_view(), name="api-batch"),
    path(
        "batches/<int:pk>/download.<str:fmt>",
        compensation_api.BatchDownload.as_view(),
        name="api-batch-download",
    ),
]
