from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import Pairing, Unit, WorkingGroup


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    list_display = ("code", "name", "kind", "parent", "opened_on", "closed_on")
    list_filter = ("kind",)
    search_fields = ("code", "name", "short_name")
    list_select_related = ("parent",)


@admin.register(Pairing)
class PairingAdmin(ScopedAdmin):
    list_display = ("department", "community", "since")
    list_select_related = ("department", "community")


@admin.register(WorkingGroup)
class WorkingGroupAdmin(ScopedAdmin):
    list_display = ("name", "kind", "unit")
