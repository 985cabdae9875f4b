"""``fangkong export_accounts OUT.xlsx``: the accounts in the layout import_accounts reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fangkong.accounts.bulk import export_accounts
from fangkong.accounts.models import User
from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.actors import SYSTEM


class Command(BaseCommand):
    help = "Write the accounts to an xlsx file in import_accounts' layout (no passwords)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        data, count = export_accounts(User.objects.all())
        options["out"].write_bytes(data)
        audit_log(actor=SYSTEM, action=Action.EXPORT, object_type="accounts", object_repr=options["out"].name,
                  detail=f"rows={count}")
        self.stdout.write(f"{count} accounts written to {options['out']}.")
