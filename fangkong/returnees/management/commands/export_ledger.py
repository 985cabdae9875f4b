"""fangkong export_ledger PATH --user USERNAME [filters]: the ledger rows that user may see, as xlsx."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.accounts.models import User
from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.excel import write_xlsx
from fangkong.core.scoping import user_has_perm
from fangkong.returnees.filtersets import ReturneeFilterSet
from fangkong.returnees.models import Returnee
from fangkong.returnees.tables import export_rows

FILTERS = ["q", "line", "unit", "community", "coordinating_body", "category", "dual", "isolation", "returned_from",
           "returned_to"]


class Command(BaseCommand):
    help = "Export the returnee ledger visible to a user to an xlsx file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--user", required=True)
        for name in FILTERS:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name)

    def handle(self, *args: Any, path: str, user: str, **options: Any) -> None:
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {user!r}.")
        if not user_has_perm(actor, "returnees.export"):
            raise CommandError(f"{user}'s role may not export the ledger.")
        data = {name: options[name] for name in FILTERS if options.get(name)}
        filterset = ReturneeFilterSet(data, queryset=Returnee.objects.visible_to(actor), user=actor)
        if not filterset.is_valid():
            raise CommandError(f"Invalid filters: {filterset.errors.as_json()}")
        clear = user_has_perm(actor, "returnees.reveal")
        headers, rows = export_rows(filterset.qs.order_by("id"), clear=clear)
        content, count = write_xlsx(headers, rows, sheet="输入人员台账")
        with open(path, "wb") as fh:
            fh.write(content)
        audit_log(actor=actor, action=Action.EXPORT, object_type="returnees.returnee",
                  detail=f"rows={count} clear={clear} via=command filter={data}")
        self.stdout.write(f"{count} rows written to {path}")
