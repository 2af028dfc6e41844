from django.urls import path

from . import portal_views, views

app_name = "compensation"
urlpatterns = [
    path("finance/", views.home, name="home"),
    path("finance/entries/", views.entries, name="entries"),
    path("finance/entries/ledger.csv", views.entries_csv, name="entries_csv"),
    path("finance/entries/approve/", views.entries_approve, name="entries_approve"),
    path("finance/entries/accrue/", views.accrue_now, name="accrue_now"),
    path("finance/entries/<int:pk>/", views.entry_detail, name="entry"),
    path("finance/entries/<int:pk>/approve/", views.entry_approve, name="entry_approve"),
    path("finance/awards/new/", views.award_new, name="award_new"),
    path("finance/batches/new/", views.batch_new, name="batch_new"),
    path("finance/batches/<int:pk>/", views.batch_detail, name="batch"),
    path(
        "finance/batches/<int:pk>/download.<str:fmt>", views.batch_download, name="batch_download"
    ),
    path("finance/batches/<int:pk>/paid/", views.batch_paid, name="batch_paid"),
    path("finance/batches/<int:pk>/reconcile/", views.batch_reconcile, name="batch_reconcile"),
    path("finance/batches/<int:pk>/retry/", views.batch_retry, name="batch_retry"),
    path("finance/batches/<int:pk>/statement/", views.batch_statement, name="batch_statement"),
    path("finance/imports/<int:pk>/match/<int:row>/", views.import_match, name="import_match"),
    path("finance/rates/", views.rates, name="rates"),
    path("finance/tax/", views.tax_statuses, name="tax_statuses"),
    path("finance/tax/<int:pk>/", views.tax_status, name="tax_status"),
    path("finance/tax/<int:pk>/document", views.tax_document, name="tax_document"),
    # Participants: my statement.
    path("statement/", portal_views.home, name="statement"),
    path("statement/statement.csv", portal_views.statement_csv, name="statement_csv"),
    path("statement/payout-details/", portal_views.payout_details, name="payout_details"),
    path("statement/tax-form/<slug:slug>/", portal_views.tax_form, name="tax_form"),
]
