from django.urls import path

from . import views

app_name = "compensation"
urlpatterns = [
    path("", views.home, name="home"),
    path("entries/", views.entries, name="entries"),
    path("entries/ledger.csv", views.entries_csv, name="entries_csv"),
    path("entries/approve/", views.entries_approve, name="entries_approve"),
    path("entries/accrue/", views.accrue_now, name="accrue_now"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("entries/<int:pk>/approve/", views.entry_approve, name="entry_approve"),
    path("awards/new/", views.award_new, name="award_new"),
    path("batches/new/", views.batch_new, name="batch_new"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/download.<str:fmt>", views.batch_download, name="batch_download"),
    path("batches/<int:pk>/paid/", views.batch_paid, name="batch_paid"),
    path("batches/<int:pk>/reconcile/", views.batch_reconcile, name="batch_reconcile"),
    path("batches/<int:pk>/retry/", views.batch_retry, name="batch_retry"),
]
