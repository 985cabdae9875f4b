"""The ``documents`` block of ``fangkong stats``."""

import datetime as dt
from typing import Any

from .models import Document, DocumentRecipient, Instruction, InstructionItem
from .selectors import document_figures

KEYS = ("issued", "by_kind", "unsigned_receipts", "replies_overdue", "instructions", "instruction_items_open",
        "instruction_items_overdue")


def documents_block(day: dt.date) -> dict[str, Any]:
    figures = document_figures(Document.objects.all(), DocumentRecipient.objects.all(), Instruction.objects.all(),
                               InstructionItem.objects.all(), day)
    return {key: figures[key] for key in KEYS}
