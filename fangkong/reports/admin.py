from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fangkong.core.admin import ScopedAdmin

from .models import ConcealmentFlag, Report, ReportField, ReportTemplate

# Read-only like every admin here: templates, reports and flags change only through the services,
# which bump template versions and keep revisions and the audit log.


class ReportFieldInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReportField
    extra = 0
    fields = ("position", "key", "label", "kind", "required", "measure", "max_value", "removed_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReportTemplate)
class ReportTemplateAdmin(ScopedAdmin):
    list_display = ("code", "name", "line", "deadline", "start_date", "end_date", "version", "is_active")
    inlines = [ReportFieldInline]


@admin.register(Report)
class ReportAdmin(ScopedAdmin):
    list_display = ("day", "unit", "template", "is_zero", "on_time", "in_day", "revision_count")
    list_filter = ("template", "is_zero", "on_time")
    date_hierarchy = "day"


@admin.register(ConcealmentFlag)
class ConcealmentFlagAdmin(ScopedAdmin):
    list_display = ("day", "unit", "kind", "reported", "ledger", "status")
    list_filter = ("status", "kind")
