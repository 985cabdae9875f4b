from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedAdmin):
    list_display = ("at", "actor_name", "action", "object_type", "object_repr")
    list_filter = ("action",)
