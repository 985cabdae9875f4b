"""Reads of the document register used by pages, the API, ``fangkong stats``, the command picture
and the workbench: one statement of each count, so every figure equals the list it links to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .choices import ItemStatus, Status
from .models import YELLOW_DAYS, Document, DocumentRecipient, Instruction, InstructionItem


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone())


def issued_by(documents: QuerySet[Document], day: dt.date) -> QuerySet[Document]:
    """Documents issued on or before ``day`` (withdrawn ones included: they keep their number)."""
    return documents.filter(issued_on__lte=day)


def unsigned_receipts(recipients: QuerySet[DocumentRecipient], day: dt.date) -> QuerySet[DocumentRecipient]:
    """Issued documents a recipient unit had not signed for at the end of ``day``."""
    end = end_of(day)
    return recipients.filter(document__status=Status.ISSUED, delivered_at__lt=end).filter(
        Q(signed_at__isnull=True) | Q(signed_at__gte=end))


def replies_overdue(recipients: QuerySet[DocumentRecipient], day: dt.date) -> QuerySet[DocumentRecipient]:
    """Recipients of a notice asking for a reply due before ``day`` with no reply by its end."""
    end = end_of(day)
    return recipients.filter(document__status=Status.ISSUED, document__reply_due__lt=day,
                             role="main").exclude(reply__submitted_at__lt=end)


def instructions_given(instructions: QuerySet[Instruction], day: dt.date) -> QuerySet[Instruction]:
    return instructions.filter(given_on__lte=day)


def instructions_open(instructions: QuerySet[Instruction], day: dt.date) -> QuerySet[Instruction]:
    return instructions_given(instructions, day).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end_of(day)))


def items_open(items: QuerySet[InstructionItem], day: dt.date) -> QuerySet[InstructionItem]:
    return items.filter(instruction__given_on__lte=day).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=end_of(day)))


def items_overdue(items: QuerySet[InstructionItem], day: dt.date) -> QuerySet[InstructionItem]:
    return items_open(items, day).filter(due_on__lt=day)


def items_yellow(items: QuerySet[InstructionItem], day: dt.date) -> QuerySet[InstructionItem]:
    return items_open(items, day).filter(due_on__gte=day, due_on__lte=day + dt.timedelta(days=YELLOW_DAYS))


def document_figures(documents: QuerySet[Document], recipients: QuerySet[DocumentRecipient],
                     instructions: QuerySet[Instruction], items: QuerySet[InstructionItem],
                     day: dt.date) -> dict[str, Any]:
    issued = issued_by(documents, day)
    by_kind = dict(issued.values_list("kind__name").annotate(n=Count("id")).order_by())
    return {
        "issued": issued.count(),
        "by_kind": dict(sorted(by_kind.items())),
        "unsigned_receipts": unsigned_receipts(recipients, day).count(),
        "replies_overdue": replies_overdue(recipients, day).count(),
        "instructions": instructions_given(instructions, day).count(),
        "instructions_open": instructions_open(instructions, day).count(),
        "instruction_items_open": items_open(items, day).count(),
        "instruction_items_overdue": items_overdue(items, day).count(),
    }


def open_items_status() -> list[str]:
    return [ItemStatus.OPEN, ItemStatus.ANSWERED]
