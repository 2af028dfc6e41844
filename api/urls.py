"""The API's routes: `/api/v1/` (the JSON API), its schema and docs, and the tokens page.

Included at the root (full paths here); every name is in the `api` namespace. Each app's
API views live in `api/views/<app>.py`; visibility rules are the pages'.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .errors import not_found
from .views import approvals as approvals_api
from .views import compensation as compensation_api
from .views import feedback as feedback_api
from .views import participants as participants_api
from .views import programs as programs_api
from .views import provenance as provenance_api
from .views import publicity as publicity_api
from .views import recourse as recourse_api
from .views import service_tokens
from .views import tokens as token_views

app_name = "api"
V1 = "api/v1/"
urlpatterns = [
    path("portal/tokens/", token_views.tokens, name="tokens"),
    path(
        "staff/programmes/<slug:slug>/service-tokens/",
        service_tokens.service_tokens,
        name="service_tokens",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path(V1 + "programmes/", programs_api.ProgrammeList.as_view(), name="programmes"),
    path(V1 + "programmes/<slug:slug>/", programs_api.ProgrammeDetail.as_view(), name="programme"),
    path(V1 + "programmes/<slug:slug>/terms/", programs_api.TermsList.as_view(), name="terms"),
    path(
        V1 + "programmes/<slug:slug>/threshold-changes/",
        programs_api.ThresholdChanges.as_view(),
        name="threshold-changes",
    ),
    path(
        V1 + "threshold-changes/<int:pk>/confirm/",
        programs_api.ThresholdChangeConfirm.as_view(),
        name="threshold-change-confirm",
    ),
    path(
        V1 + "programmes/<slug:slug>/terms/diff/",
        programs_api.TermsDiffView.as_view(),
        name="terms-diff",
    ),
    path(
        V1 + "programmes/<slug:slug>/terms/<int:number>/",
        programs_api.TermsDetail.as_view(),
        name="terms-version",
    ),
    path(
        V1 + "programmes/<slug:slug>/consent/",
        participants_api.ConsentView.as_view(),
        name="consent",
    ),
    path(
        V1 + "programmes/<slug:slug>/access/",
        participants_api.AccessCheckView.as_view(),
        name="access",
    ),
    path(
        V1 + "programmes/<slug:slug>/figures/",
        programs_api.FiguresView.as_view(),
        name="figures",
    ),
    path(V1 + "tickets/", feedback_api.TicketList.as_view(), name="tickets"),
    path(V1 + "tickets/<int:pk>/", feedback_api.TicketDetail.as_view(), name="ticket"),
    path(
        V1 + "tickets/<int:pk>/comments/",
        feedback_api.TicketComments.as_view(),
        name="ticket-comments",
    ),
    path(V1 + "time-entries/", feedback_api.TimeEntryList.as_view(), name="time-entries"),
    path(V1 + "contests/", recourse_api.ContestList.as_view(), name="contests"),
    path(V1 + "contests/<int:pk>/", recourse_api.ContestDetail.as_view(), name="contest"),
    path(
        V1 + "contests/<int:pk>/answer/",
        recourse_api.ContestAnswer.as_view(),
        name="contest-answer",
    ),
    path(V1 + "submissions/", approvals_api.SubmissionList.as_view(), name="submissions"),
    path(V1 + "submissions/<int:pk>/", approvals_api.SubmissionDetail.as_view(), name="submission"),
    path(
        V1 + "submissions/<int:pk>/claim/",
        approvals_api.SubmissionClaim.as_view(),
        name="submission-claim",
    ),
    path(
        V1 + "submissions/<int:pk>/decide/",
        approvals_api.SubmissionDecide.as_view(),
        name="submission-decide",
    ),
    path(
        V1 + "promotional-uses/",
        publicity_api.PromotionalUseList.as_view(),
        name="promotional-uses",
    ),
    path(
        V1 + "promotional-uses/<int:pk>/answer/",
        publicity_api.PromotionalUseAnswer.as_view(),
        name="promotional-use-answer",
    ),
    path(
        V1 + "programmes/<slug:slug>/training/",
        publicity_api.TrainingView.as_view(),
        name="training",
    ),
    path(
        V1 + "programmes/<slug:slug>/competitions/",
        publicity_api.CompetitionList.as_view(),
        name="competitions",
    ),
    path(
        V1 + "competitions/<int:pk>/entries/",
        publicity_api.CompetitionEnter.as_view(),
        name="competition-entries",
    ),
    path(
        V1 + "competitions/<int:pk>/results/",
        publicity_api.CompetitionResults.as_view(),
        name="competition-results",
    ),
    path(
        V1 + "programmes/<slug:slug>/training-check/",
        provenance_api.TrainingCheck.as_view(),
        name="training-check",
    ),
    path(
        V1 + "programmes/<slug:slug>/consent-registry/",
        provenance_api.ConsentRegistry.as_view(),
        name="consent-registry",
    ),
    path(V1 + "ledger-entries/", compensation_api.LedgerEntryList.as_view(), name="ledger-entries"),
    path(
        V1 + "ledger-entries/approve/",
        compensation_api.EntriesApprove.as_view(),
        name="ledger-entries-approve",
    ),
    path(V1 + "batches/", compensation_api.BatchList.as_view(), name="batches"),
    path(
        V1 + "batches/<int:pk>/imports/",
        compensation_api.BatchImports.as_view(),
        name="batch-imports",
    ),
    path(V1 + "batches/<int:pk>/", compensation_api.BatchDetail.as_view(), name="batch"),
    path(
        V1 + "batches/<int:pk>/mark-paid/",
        compensation_api.BatchMarkPaid.as_view(),
        name="batch-mark-paid",
    ),
    path(
        V1 + "bank-imports/<int:pk>/match/",
        compensation_api.BankImportMatch.as_view(),
        name="bank-import-match",
    ),
    path(
        V1 + "batches/<int:pk>/download.<str:fmt>",
        compensation_api.BatchDownload.as_view(),
        name="batch-download",
    ),
    # Last: any other path under /api/ is a JSON 404, never Django's HTML page.
    re_path(r"^api/", not_found),
]
