"""``fangkong export_people``: the person list as xlsx, exactly as a user would export it from the page.

The same scope (``visible_to``), filters (``PersonFilterSet``), columns, masking and audit entry as
the web export, so the console is no way around any of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from fangkong.accounts.models import User
from fangkong.audit.choices import Action
from fangkong.audit.services import audit_log
from fangkong.core.excel import write_xlsx
from fangkong.core.scoping import user_has_perm
from fangkong.people.filtersets import PersonFilterSet
from fangkong.people.models import Person
from fangkong.people.tables import export_rows


class Command(BaseCommand):
    help = (
        "Export the people visible to --user to an xlsx file at PATH. ID numbers and phones are in clear "
        "only when the user's role may reveal them. The export is written to the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Where to write the .xlsx file.")
        parser.add_argument("--user", required=True, help="Export as this user (their role and scope apply).")
        parser.add_argument("--unit", type=int, help="Only this unit (by id) and the units below it.")
        parser.add_argument("--q", default="", help="Search text: name, pinyin initials, phone tail or ID number.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user named {options['user']!r}.")
        if not user_has_perm(user, "people.export"):
            raise CommandError(f"User {user.username!r} (role {user.role or 'none'}) may not export people.")
        filters = {key: options[key] for key in ("unit", "q") if options[key] not in (None, "")}
        filterset = PersonFilterSet(
            filters, queryset=Person.objects.visible_to(user).select_related("unit", "branch"), user=user
        )
        if not filterset.is_valid():
            problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in filterset.errors.items())
            raise CommandError(f"Invalid filter: {problems}")
        clear = user_has_perm(user, "people.reveal")
        headers, rows = export_rows(filterset.qs, clear=clear)
        content, count = write_xlsx(headers, rows, sheet=_("People"))
        path = Path(options["path"])
        try:
            path.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror or exc}") from None
        # Logged after the file is written: an export that failed has disclosed nothing.
        filter_text = " ".join(f"{key}={value}" for key, value in filters.items())
        audit_log(
            actor=user, action=Action.EXPORT, object_type="people.person",
            detail=f"rows={count} clear={clear} filter={filter_text[:300]} via=command",
        )
        self.stdout.write(f"{count} rows written to {path}")
