"""fangkong issue_passes --user USERNAME (--person ID | --plate PLATE --unit CODE | --department CODE | --file XLSX)
[--from DATE --until DATE --zone CODE ... --purpose TEXT] [--pdf OUT.pdf]"""

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from fangkong.accounts.models import User
from fangkong.core import clock
from fangkong.core.columnmap import parse_map_options
from fangkong.core.idcard import id_digest, normalize_id_number
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit
from fangkong.passes import services
from fangkong.passes.imports import import_passes
from fangkong.passes.printing import pass_sheets
from fangkong.people.models import Person


class Command(BaseCommand):
    help = "Issue staff or vehicle passes as a user: one person, one plate, every seconded cadre of a department, or an xlsx file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--user", required=True, help="Username of the office account that issues.")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--person", help="ID number (or database id) of the pass holder.")
        who.add_argument("--plate", help="Number plate for a vehicle pass (needs --unit).")
        who.add_argument("--department", help="Department code: a pass for each of its seconded cadres.")
        who.add_argument("--file", help="xlsx file with one pass per row (see the passes import template).")
        parser.add_argument("--unit", help="Unit code of the vehicle (or of a staff pass, default the holder's unit).")
        parser.add_argument("--driver", default="")
        parser.add_argument("--owner", default="")
        parser.add_argument("--zone", action="append", default=[], help="Street/community/checkpoint code; repeatable.")
        parser.add_argument("--purpose", default="")
        parser.add_argument("--from", dest="start", help="First valid day (YYYY-MM-DD), default today.")
        parser.add_argument("--until", dest="end", help="Last valid day (YYYY-MM-DD), default 30 days on.")
        parser.add_argument("--pdf", help="Also write the issued passes as A4 card sheets to this PDF.")
        parser.add_argument("--map", action="append", default=[], dest="maps", metavar="HEADER=FIELD",
                            help="With --file: place a column the headers do not name (remembered for your unit).")

    def handle(self, *args: Any, **o: Any) -> None:
        actor = User.objects.filter(username=o["user"], is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {o['user']!r}.")
        try:
            start = dt.date.fromisoformat(o["start"]) if o["start"] else clock.today()
            end = dt.date.fromisoformat(o["end"]) if o["end"] else start + dt.timedelta(days=30)
        except ValueError as exc:
            raise CommandError(f"Dates are YYYY-MM-DD: {exc}") from exc
        valid_from, valid_until = services.day_bounds(start, end)
        zones = list(Unit.objects.visible_to(actor).filter(code__in=o["zone"]))
        if len(zones) != len(set(o["zone"])):
            raise CommandError("A zone code is unknown or outside your scope.")
        try:
            passes = self._issue(actor, o, zones, valid_from, valid_until, start)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("; ".join(str(m) for m in messages)) from exc
        for p in passes:
            self.stdout.write(f"{p.number}\t{p.holder_display}\t{p.token}")
        self.stdout.write(f"{len(passes)} passes issued.")
        if o["pdf"]:
            Path(o["pdf"]).write_bytes(pass_sheets(passes))
            self.stdout.write(f"Card sheets written to {o['pdf']}.")

    def _unit(self, actor: User, code: str | None) -> Unit | None:
        if not code:
            return None
        unit = Unit.objects.visible_to(actor).filter(code=code).first()
        if unit is None:
            raise CommandError(f"No unit {code!r} in your scope.")
        return unit

    def _issue(self, actor: User, o: dict[str, Any], zones: list[Unit], valid_from: dt.datetime,
               valid_until: dt.datetime, start: dt.date) -> list[Any]:
        if o["file"]:
            try:
                mapping = parse_map_options(o.get("maps") or [])
            except ValueError as exc:
                raise CommandError(f"--map takes HEADER=FIELD, not {exc}") from None
            result = import_passes(actor=actor, path=Path(o["file"]), mapping=mapping or None)
            if result.errors:
                for error in result.errors:
                    self.stderr.write(str(error))
                raise CommandError(f"{len(result.errors)} problems; nothing was issued.")
            return result.passes
        if o["person"]:
            qs = Person.objects.visible_to(actor)
            person = qs.filter(id_digest=id_digest(normalize_id_number(o["person"]))).first() or (
                qs.filter(pk=int(o["person"])).first() if o["person"].isdigit() and len(o["person"]) < 12 else None
            )
            if person is None:
                raise CommandError(f"No person {o['person']!r} in your scope.")
            return [services.issue_staff_pass(
                actor=actor, person=person, unit=self._unit(actor, o["unit"]), valid_from=valid_from,
                valid_until=valid_until, zones=zones, purpose=o["purpose"],
            )]
        if o["plate"]:
            unit = self._unit(actor, o["unit"])
            if unit is None:
                raise CommandError("A vehicle pass needs --unit.")
            return [services.issue_vehicle_pass(
                actor=actor, plate=o["plate"], unit=unit, valid_from=valid_from, valid_until=valid_until,
                driver_name=o["driver"], owner_name=o["owner"], zones=zones, purpose=o["purpose"],
            )]
        department = self._unit(actor, o["department"])
        if department is None or department.kind != UnitKind.DEPARTMENT:
            raise CommandError(f"{o['department']!r} is not a department.")
        return services.issue_department_passes(
            actor=actor, department=department, on=start, valid_from=valid_from, valid_until=valid_until,
            purpose=o["purpose"],
        )
