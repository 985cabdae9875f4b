from django.contrib import admin

from fangkong.core.admin import ScopedAdmin

from .models import Document, DocumentRecipient, Instruction, InstructionItem, IssuingBody


@admin.register(IssuingBody)
class IssuingBodyAdmin(ScopedAdmin):
    list_display = ("name", "prefix", "unit")


@admin.register(Document)
class DocumentAdmin(ScopedAdmin):
    list_display = ("number", "title", "kind", "status", "issued_on")
    list_filter = ("status",)
    list_select_related = ("kind",)
    search_fields = ("title", "number")
    exclude = ("figures",)


@admin.register(DocumentRecipient)
class DocumentRecipientAdmin(ScopedAdmin):
    list_display = ("document", "unit", "role", "delivered_at", "signed_at")
    list_select_related = ("document", "unit")


@admin.register(Instruction)
class InstructionAdmin(ScopedAdmin):
    list_display = ("leader_name", "leader_position", "given_on", "closed_at")


@admin.register(InstructionItem)
class InstructionItemAdmin(ScopedAdmin):
    list_display = ("task", "unit", "due_on", "status")
    list_select_related = ("unit",)
