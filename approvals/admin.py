"""Read-only views for configuration and support; daily work happens in the review queue."""

from django.contrib import admin

from .models import Appeal, OutputSubmission, ReasonCode, ReviewDecision


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutputSubmission)
class OutputSubmissionAdmin(ReadOnlyAdmin):
    list_display = ["title", "programme", "participant", "status", "submitted_at", "due_at"]
    list_filter = ["status", "programme"]


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyAdmin):
    list_display = ["submission", "stage", "outcome", "reviewer", "decided_at"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["submission", "filed_at"]


@admin.register(ReasonCode)
class ReasonCodeAdmin(ReadOnlyAdmin):
    list_display = ["label", "code", "programme", "active"]
