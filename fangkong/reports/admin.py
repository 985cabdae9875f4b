from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ConcealmentFlag, Report, ReportField, ReportTemplate


class ReportFieldInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReportField
    extra = 0
    fields = ("position", "key", "label", "kind", "required", "measure", "max_value", "removed_at")
    readonly_fields = ("removed_at",)


@admin.register(ReportTemplate)
class ReportTemplateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "line", "deadline", "start_date", "end_date", "version", "is_active")
    inlines = [ReportFieldInline]
    readonly_fields = ("version",)


class ScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only in the admin: reports and flags change only through the services (revisions, audit)."""

    def get_queryset(self, request: HttpRequest) -> Any:
        return self.model.objects.visible_to(request.user)  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(ScopedAdmin):
    list_display = ("day", "unit", "template", "is_zero", "on_time", "in_day", "revision_count")
    list_filter = ("template", "is_zero", "on_time")
    date_hierarchy = "day"


@admin.register(ConcealmentFlag)
class ConcealmentFlagAdmin(ScopedAdmin):
    list_display = ("day", "unit", "kind", "reported", "ledger", "status")
    list_filter = ("status", "kind")
