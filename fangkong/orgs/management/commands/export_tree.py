"""``fangkong export_tree OUT.xlsx``: the organisation tree in the layout import_tree reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.actors import SYSTEM
from fangkong.orgs.models import Unit
from fangkong.orgs.tree_import import export_tree


class Command(BaseCommand):
    help = "Write the organisation tree to an xlsx file in import_tree's layout (edit it in Excel, import it again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        data, count = export_tree(Unit.objects.all())
        options["out"].write_bytes(data)
        audit_log(actor=SYSTEM, action=Action.EXPORT, object_type="orgs.tree", object_repr=options["out"].name,
                  detail=f"rows={count}")
        self.stdout.write(f"{count} units written to {options['out']}.")
