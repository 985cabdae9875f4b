from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import ChannelVolume, HelpRequest


@admin.register(ChannelVolume)
class ChannelVolumeAdmin(ScopedAdmin):
    list_display = ("day", "department", "service", "channel", "count")
    list_select_related = ("department", "service", "channel")


@admin.register(HelpRequest)
class HelpRequestAdmin(ScopedAdmin):
    list_display = ("household", "community", "kind", "due_at", "status")
    list_select_related = ("community",)
    exclude = ("phone_cipher", "confirm_digest")
