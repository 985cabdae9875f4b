from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import User


@admin.register(User)
class UserAdmin(ScopedAdmin):
    list_display = ("username", "full_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "full_name")
    exclude = ("password",)
