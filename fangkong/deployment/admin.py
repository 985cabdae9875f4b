from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import Assignment, Secondment, SecondmentImport, Shift


@admin.register(Secondment)
class SecondmentAdmin(ScopedAdmin):
    list_display = ("person", "department", "unit", "role", "starts_on", "ends_on")
    list_filter = ("role",)
    list_select_related = ("person", "department", "unit")
    search_fields = ("person__name", "person__name_initials")


@admin.register(Shift)
class ShiftAdmin(ScopedAdmin):
    list_display = ("checkpoint", "starts_at", "ends_at", "staff_needed", "leader")
    list_select_related = ("checkpoint", "leader")


@admin.register(Assignment)
class AssignmentAdmin(ScopedAdmin):
    list_display = ("person", "checkpoint", "starts_at", "ends_at", "checked_in_at", "checked_out_at")
    list_select_related = ("person", "checkpoint")


@admin.register(SecondmentImport)
class SecondmentImportAdmin(ScopedAdmin):
    list_display = ("file_name", "status", "total_rows", "error_count", "uploaded_by", "uploaded_at")
    exclude = ("rows", "errors")
