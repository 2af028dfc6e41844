from django.contrib import admin

from .models import ContestReason


@admin.register(ContestReason)
class ContestReasonAdmin(admin.ModelAdmin):
    """A programme's own list of reasons for contesting (configuration, not daily work)."""

    list_display = ("programme", "code", "label", "active")
    list_filter = ("programme", "active")
