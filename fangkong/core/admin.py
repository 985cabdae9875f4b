"""Django admin as a read-only inspection tool that goes through the same scoping.

Writes go through the pages and the API, whose services keep the tree, the audit log and the
validation rules; the admin never bypasses them.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .scoping import user_has_perm


class ScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def get_queryset(self, request: HttpRequest) -> Any:
        return self.model.objects.visible_to(request.user)

    def _label(self) -> str:
        return getattr(self.model, "scope_perm_label", self.model._meta.app_label)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_has_perm(request.user, f"{self._label()}.view")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_has_perm(request.user, f"{self._label()}.view")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
