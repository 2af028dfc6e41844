from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "to_email", "subject", "status", "attempts")
    list_filter = ("status",)
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    show_full_result_count = False
