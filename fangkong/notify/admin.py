from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import Channel, Delivery, Message


@admin.register(Channel)
class ChannelAdmin(ScopedAdmin):
    list_display = ("unit", "kind", "msg_format", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    list_select_related = ("unit",)
    exclude = ("secret",)


@admin.register(Message)
class MessageAdmin(ScopedAdmin):
    list_display = ("subject", "unit", "kind", "created_at")
    list_filter = ("kind",)
    list_select_related = ("unit",)


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdmin):
    list_display = ("message", "kind", "status", "attempts", "last_error", "next_attempt_at")
    list_filter = ("kind", "status")
    list_select_related = ("message",)
