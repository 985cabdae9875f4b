from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import Person


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    list_display = ("name", "masked_id_number", "masked_phone", "unit", "position", "is_cadre")
    list_filter = ("position", "is_cadre", "is_party_member")
    search_fields = ("name", "name_initials")
    list_select_related = ("unit",)
    exclude = ("id_cipher", "id_digest", "phone_cipher", "phone_digest")
    readonly_fields = ("masked_id_number", "masked_phone")
