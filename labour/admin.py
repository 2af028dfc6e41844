"""Read-only views for support. Daily work (logging, confirming hours) happens in the pages,
through the services, so that every change is audited."""

from django.contrib import admin

from .models import TimeEntry


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ["user", "programme", "date", "minutes", "activity", "status"]
    list_filter = ["programme", "status", "activity"]
    search_fields = ["user__email"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
