"""Reports and instructions on the command picture: open instructions, open and overdue
follow-up items, receipts not signed for and replies overdue, over the user's scope."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.command.registry import Alert, AsOf, Figure, Line, Panel, register, url

from . import selectors
from .models import DocumentRecipient, Instruction, InstructionItem

API = "/api/v1/documents"


def documents_panel(as_of: AsOf) -> Panel:
    day = as_of.day
    iso = day.isoformat()
    instructions = selectors.instructions_open(as_of.scoped(Instruction), day).count()
    items = as_of.scoped(InstructionItem)
    open_items = selectors.items_open(items, day).count()
    overdue = selectors.items_overdue(items, day)
    overdue_count = overdue.count()
    recipients = as_of.scoped(DocumentRecipient)
    unsigned = selectors.unsigned_receipts(recipients, day).count()
    late = selectors.replies_overdue(recipients, day).count()
    figures = [
        Figure("instructions_open", _("Open instructions"), instructions,
               url("documents:instruction_list", open_on=iso), url(f"{API}/instructions", open_on=iso)),
        Figure("items_open", _("Open follow-up items"), open_items,
               url("documents:item_list", open_on=iso), url(f"{API}/items", open_on=iso)),
        Figure("items_overdue", _("Overdue follow-up items"), overdue_count,
               url("documents:item_list", overdue_on=iso), url(f"{API}/items", overdue_on=iso)),
        Figure("unsigned_receipts", _("Documents not signed for"), unsigned,
               url("documents:inbox", unsigned_on=iso), url(f"{API}/receipts", unsigned_on=iso)),
        Figure("replies_overdue", _("Replies overdue"), late,
               url("documents:inbox", reply_overdue_on=iso), url(f"{API}/receipts", reply_overdue_on=iso)),
    ]
    alerts = [
        Alert(_("%(unit)s: “%(task)s” was due %(day)s") % {
            "unit": item.unit.name, "task": item.task[:30], "day": item.due_on.isoformat()},
            url=f"/documents/instructions/{item.instruction_id}/",
            level="danger")
        for item in overdue.select_related("unit").order_by("due_on", "id")[:5]
    ]
    text = _("%(open)d instructions open, %(items)d follow-up items open, %(overdue)d overdue.") % {
        "open": instructions, "items": open_items, "overdue": overdue_count}
    return Panel(figures=figures, alerts=alerts, headline="items_open", text=text)


register(Line(key="documents", title=gettext_lazy("Reports and instructions"), order=75, perm="documents.view",
              panel=documents_panel))
