"""Read-only views for support. Daily work (filing, triage) happens in the pages,
through the services, so that every change is audited."""

from django.contrib import admin

from .models import Ticket, TicketAttachment, TicketComment


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "programme", "kind", "severity", "status", "created_at"]
    list_filter = ["programme", "kind", "status", "severity"]
    search_fields = ["title", "reporter__email"]
    show_full_result_count = False


@admin.register(TicketComment)
class TicketCommentAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "author", "visible_to_reporter", "created_at"]
    show_full_result_count = False


@admin.register(TicketAttachment)
class TicketAttachmentAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "original_name", "content_type", "size", "created_at"]
    show_full_result_count = False
