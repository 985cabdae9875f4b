"""Reports and instructions on the workbench: documents to sign for, to sign off and to issue,
and follow-up items open and overdue. Each count links to the list it counts."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.core.scoping import user_has_perm
from fangkong.core.workbench import NOW, OVERDUE, SOON, Desk, Item, Row

from . import selectors
from .choices import Status
from .models import Document, DocumentRecipient, InstructionItem

ROWS = 5


def items(desk: Desk) -> list[Item]:
    user = desk.user
    if not user_has_perm(user, "documents.view"):
        return []
    out: list[Item] = []
    documents = Document.objects.visible_to(user)  # type: ignore[attr-defined]
    register = reverse("documents:document_list")
    if user_has_perm(user, "documents.signoff"):
        waiting = documents.filter(status=Status.REVIEW)
        n = waiting.count()
        item = Item(key="documents-sign-off", title=_("Documents awaiting your sign-off"), count=n,
                    url=f"{register}?status=review", urgency=NOW if n else SOON + 1, state="warn" if n else "ok")
        item.rows = [Row(text=d.title, url=d.get_absolute_url()) for d in waiting.order_by("drafted_at")[:ROWS]]
        item.more = max(n - ROWS, 0)
        out.append(item)
    if user_has_perm(user, "documents.change"):
        n = documents.filter(status=Status.SIGNED).count()
        if n:
            out.append(Item(key="documents-issue", title=_("Signed-off documents to issue"), count=n,
                            url=f"{register}?status=signed", urgency=NOW, state="warn"))
    if user_has_perm(user, "documents.receive"):
        pending = DocumentRecipient.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            delivered_at__isnull=False, signed_at__isnull=True)
        n = pending.count()
        sender = user_has_perm(user, "documents.change")
        item = Item(key="documents-receipts",
                    title=_("Documents not yet signed for") if sender else _("Documents to sign for"),
                    count=n, url=f"{reverse('documents:inbox')}?signed=false", urgency=NOW if n else SOON + 1,
                    state="warn" if n else "ok")
        if not sender:
            item.rows = [Row(text=f"{r.document.number or ''} {r.document.display_title}",
                             url=r.document.get_absolute_url())
                         for r in pending.select_related("document").order_by("delivered_at", "id")[:ROWS]]
            item.more = max(n - ROWS, 0)
        out.append(item)
    day = desk.today.isoformat()
    all_items = InstructionItem.objects.visible_to(user)  # type: ignore[attr-defined]
    overdue = selectors.items_overdue(all_items, desk.today).count()
    open_items = selectors.items_open(all_items, desk.today).count()
    if overdue:
        out.append(Item(key="documents-items-overdue", title=_("Overdue follow-up items of instructions"),
                        count=overdue, url=f"{reverse('documents:item_list')}?overdue_on={day}", urgency=OVERDUE,
                        state="bad"))
    if open_items:
        out.append(Item(key="documents-items-open", title=_("Open follow-up items of instructions"),
                        count=open_items, url=f"{reverse('documents:item_list')}?open_on={day}", urgency=SOON,
                        state=""))
    return out
