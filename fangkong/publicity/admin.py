from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import Material, MediaPush, ModelDeed, OfficialForward, PledgeSignature


@admin.register(Material)
class MaterialAdmin(ScopedAdmin):
    list_display = ("title", "kind", "unit", "issued_on")
    list_select_related = ("unit",)


@admin.register(MediaPush)
class MediaPushAdmin(ScopedAdmin):
    list_display = ("title", "outlet", "unit", "pushed_on")
    list_select_related = ("unit", "outlet")


@admin.register(OfficialForward)
class OfficialForwardAdmin(ScopedAdmin):
    list_display = ("message", "unit", "day", "count")
    list_select_related = ("unit",)


@admin.register(PledgeSignature)
class PledgeSignatureAdmin(ScopedAdmin):
    list_display = ("person", "pledge", "unit", "signed_at")
    list_select_related = ("person", "pledge", "unit")
    exclude = ("share_code",)


@admin.register(ModelDeed)
class ModelDeedAdmin(ScopedAdmin):
    list_display = ("title", "person", "branch", "status")
    list_select_related = ("person", "branch")
