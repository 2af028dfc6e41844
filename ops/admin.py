from django.contrib import admin

from .models import Incident


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read only: incidents are opened and closed by the incident check alone."""

    list_display = ["kind", "key", "opened_at", "closed_at"]
    list_filter = ["kind", ("closed_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["kind", "key", "summary", "opened_at", "closed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
