from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import Distribution, Donor, Intake, Need, Receipt, Store


@admin.register(Store)
class StoreAdmin(ScopedAdmin):
    list_display = ("name", "unit")


@admin.register(Donor)
class DonorAdmin(ScopedAdmin):
    list_display = ("name", "kind", "unit", "anonymous", "certificate_number")
    exclude = ("contact",)


@admin.register(Intake)
class IntakeAdmin(ScopedAdmin):
    list_display = ("number", "donor", "item", "quantity", "store", "received_on")
    list_select_related = ("donor", "item", "store")


@admin.register(Need)
class NeedAdmin(ScopedAdmin):
    list_display = ("unit", "item", "quantity", "needed_by", "status")
    list_select_related = ("unit", "item")


@admin.register(Distribution)
class DistributionAdmin(ScopedAdmin):
    list_display = ("number", "to_unit", "item", "quantity", "dispatched_on", "status")
    list_select_related = ("to_unit", "item")


@admin.register(Receipt)
class ReceiptAdmin(ScopedAdmin):
    list_display = ("distribution", "signer_name", "signer_role", "signed_at", "quantity_received")
