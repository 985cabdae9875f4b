"""Writing the returnee ledger: registrations from either side (one row or a whole ledger),
isolation orders and their changes, follow-ups, merges.

Every registration, whether typed into a form or imported from a ledger, goes through
``apply_rows``: the same validation, the same bulk writes, one transaction.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.models import AuditEntry
from fangkong.audit.services import audit_change, audit_log, snapshot
from fangkong.core.idcard import normalize_phone, parse_id_number
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink

from .choices import ISOLATED_CATEGORIES, Category, ChangeKind, Line, Side
from .models import FollowUp, IsolationChange, IsolationOrder, LedgerImport, Registration, Returnee

if TYPE_CHECKING:
    from fangkong.accounts.models import User

EMPLOYER_KINDS = (UnitKind.DEPARTMENT, UnitKind.INDUSTRY_UNIT, UnitKind.COORDINATING_BODY, UnitKind.WORKING_COMMITTEE)
# Fields a later registration may fill in or correct, per side: the unit knows where its staff
# came from; the community knows where they live.
SIDE_FIELDS = {
    Side.UNIT: ("name", "phone", "unit", "category", "origin_text", "origin_code", "transport", "return_date", "notes"),
    Side.COMMUNITY: ("name", "phone", "community", "address", "category", "origin_text", "origin_code", "transport",
                     "return_date", "notes"),
}
LOCK_KEY = 0x66616E67  # serialises ledger commits on PostgreSQL


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class ApplyResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    returnees: list[Returnee] = field(default_factory=list)


def isolation_days(category: str) -> int:
    days: dict[str, int] = getattr(settings, "ISOLATION_DAYS", {})
    return int(days.get(category, 14))


class UnitDirectory:
    """Resolves unit names, short names and codes typed in ledgers, one query per kind-set."""

    def __init__(self, kinds: Sequence[str]) -> None:
        self.by_key: dict[str, Unit] = {}
        self.names: list[str] = []
        for unit in Unit.objects.filter(kind__in=kinds).only("id", "code", "name", "short_name", "kind"):
            for key in {unit.code, unit.name, unit.short_name}:
                if key:
                    self.by_key.setdefault(key.strip().lower(), unit)
            self.names.append(unit.name)

    def find(self, text: str) -> Unit | None:
        return self.by_key.get(text.strip().lower())

    def suggest(self, text: str) -> str:
        close = difflib.get_close_matches(text, self.names, n=3, cutoff=0.5)
        return "；".join(close)


def _line_cache() -> dict[int, tuple[str, int | None]]:
    """Line and coordinating body of every employer unit, in two queries."""
    kinds = dict(Unit.objects.values_list("id", "kind"))
    result: dict[int, tuple[str, int | None]] = {}
    links = UnitLink.objects.filter(ancestor__kind__in=[UnitKind.COORDINATING_BODY, UnitKind.DEPARTMENT]).values_list(
        "descendant_id", "ancestor_id"
    )
    for descendant, ancestor in links:
        if kinds[ancestor] == UnitKind.COORDINATING_BODY:
            result[descendant] = (Line.INDUSTRY, ancestor)
        else:
            result.setdefault(descendant, (Line.ORGANS, None))
    return result


def validate_rows(
    *, actor: User | None, side: str, rows: Sequence[dict[str, Any]], columns: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Resolve units and check the scope of parsed ledger rows (the file reader has already
    normalised IDs, phones, dates and categories). Returns clean rows and every problem."""
    columns = columns or {}
    errors: list[RowError] = []
    employers = UnitDirectory(EMPLOYER_KINDS)
    communities = UnitDirectory([UnitKind.COMMUNITY])
    scope = scope_unit_ids(actor) if actor is not None else None
    scope_set = set(scope) if scope is not None else None
    default_employer: Unit | None = None
    if actor is not None and side == Side.UNIT:
        own = list(Unit.objects.filter(user_scopes__user=actor, kind__in=EMPLOYER_KINDS)[:2])
        default_employer = own[0] if len(own) == 1 else None
    clean: list[dict[str, Any]] = []
    for row in rows:
        number = row.get("row", 0)
        problems = False

        def fail(key: str, value: Any, reason: str, number: int = number) -> None:
            nonlocal problems
            problems = True
            errors.append(RowError(number, columns.get(key, key), str(value or "")[:100], reason))

        out = dict(row)
        employer_text = str(row.get("employer") or "").strip()
        employer = employers.find(employer_text) if employer_text else None
        if employer_text and employer is None:
            hint = employers.suggest(employer_text)
            fail("employer", employer_text, "找不到该单位" + (f"，是否是：{hint}" if hint else ""))
        if employer is None and not employer_text and side == Side.UNIT:
            employer = default_employer
            if employer is None:
                fail("employer", "", "请填写工作单位")
        community_text = str(row.get("community") or "").strip()
        community = communities.find(community_text) if community_text else None
        if community_text and community is None:
            hint = communities.suggest(community_text)
            fail("community", community_text, "找不到该社区" + (f"，是否是：{hint}" if hint else ""))
        if side == Side.COMMUNITY and community is None and not community_text:
            fail("community", "", "请填写居住社区")
        registering = employer if side == Side.UNIT else community
        if registering is not None and scope_set is not None and registering.pk not in scope_set:
            key = "employer" if side == Side.UNIT else "community"
            fail(key, registering.name, "该单位不在您的管辖范围内，不能代为登记")
        out["employer"] = employer
        out["community"] = community
        if not problems:
            clean.append(out)
    return clean, errors


def _row_values(row: dict[str, Any], lines: dict[int, tuple[str, int | None]]) -> dict[str, Any]:
    employer: Unit | None = row.get("employer")
    line, cb = lines.get(employer.pk, ("", None)) if employer is not None else ("", None)
    return {
        "name": row["name"],
        "phone": row.get("phone") or "",
        "unit": employer,
        "community": row.get("community"),
        "address": row.get("address") or "",
        "category": row.get("category") or Category.OUTSIDE,
        "origin_text": row.get("origin") or row.get("origin_text") or "",
        "origin_code": row.get("origin_code") or "",
        "transport": row.get("transport") or "",
        "return_date": row.get("return_date"),
        "notes": row.get("notes") or "",
        "line": line,
        "coordinating_body_id": cb,
    }


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def apply_rows(
    *,
    actor: User | None,
    side: str,
    rows: Sequence[dict[str, Any]],
    source_import: LedgerImport | None = None,
    registered_at: dt.datetime | None = None,
    chunk: int = 5000,
) -> ApplyResult:
    """Write validated rows: create or update each returnee (matched by ID number), add the
    side's registration, open isolation orders. Must run inside a transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("apply_rows must run inside transaction.atomic()")
    _lock()
    now = registered_at or timezone.now()
    lines = _line_cache()
    result = ApplyResult()
    audit: list[AuditEntry] = []
    actor_id = actor.pk if actor is not None else None
    actor_name = actor.get_username() if actor is not None else ""
    fields = SIDE_FIELDS[Side(side)]
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        existing = {r.id_number: r for r in Returnee.objects.filter(id_number__in=[row["id_number"] for row in part])}
        new: list[Returnee] = []
        changed: list[Returnee] = []
        touched_fields: set[str] = set()
        for row in part:
            values = _row_values(row, lines)
            current = existing.get(row["id_number"])
            if current is None:
                info = parse_id_number(row["id_number"])
                returnee = Returnee(
                    id_number=info.number, sex=info.sex, birth_date=info.birth_date,
                    **{k: v for k, v in values.items()},
                )
                new.append(returnee)
                existing[info.number] = returnee
                continue
            before = snapshot(current)
            for name in fields:
                value = values[name]
                if name in {"unit", "community"}:
                    if value is not None and getattr(current, f"{name}_id") != value.pk:
                        setattr(current, name, value)
                        touched_fields.add(name)
                        if name == "unit":
                            current.line, current.coordinating_body_id = values["line"], values["coordinating_body_id"]
                            touched_fields |= {"line", "coordinating_body"}
                elif value not in ("", None) and getattr(current, name) != value:
                    setattr(current, name, value)
                    touched_fields.add(name)
            after = snapshot(current)
            if after != before:
                changed.append(current)
                diff = {k: v for k, v in after.items() if before.get(k) != v}
                audit.append(AuditEntry(
                    actor_id=actor_id, actor_name=actor_name, action=Action.UPDATE, object_type="returnees.returnee",
                    object_id=str(current.pk), object_repr=current.name, before={k: before.get(k) for k in diff},
                    after=diff, detail=f"import={source_import.pk}" if source_import else "",
                ))
        Returnee.objects.bulk_create(new, batch_size=2000)
        if changed:
            touched_fields.add("updated_at")
            for r in changed:
                r.updated_at = now
            Returnee.objects.bulk_update(changed, sorted(touched_fields), batch_size=2000)
        for r in new:
            audit.append(AuditEntry(
                actor_id=actor_id, actor_name=actor_name, action=Action.CREATE, object_type="returnees.returnee",
                object_id=str(r.pk), object_repr=r.name, after=snapshot(r),
                detail=f"import={source_import.pk}" if source_import else "",
            ))
        # The side's registration, once per registering unit; the first one of a side dates it.
        people = [existing[row["id_number"]] for row in part]
        registering = [
            (row["employer"] if side == Side.UNIT else row["community"]) for row in part
        ]
        have = set(
            Registration.objects.filter(returnee__in=[p.pk for p in people], side=side).values_list(
                "returnee_id", "unit_id"
            )
        )
        registrations = []
        first_seen: list[Returnee] = []
        for person, unit, row in zip(people, registering, part, strict=True):
            if (person.pk, unit.pk) in have:
                continue
            have.add((person.pk, unit.pk))
            registrations.append(Registration(
                returnee=person, side=side, unit=unit, registered_at=now, registered_by_id=actor_id,
                source_import=source_import, stated_employer=row["employer"] if side == Side.COMMUNITY else None,
            ))
            stamp = "unit_reported_at" if side == Side.UNIT else "community_reported_at"
            if getattr(person, stamp) is None:
                setattr(person, stamp, now)
                first_seen.append(person)
        Registration.objects.bulk_create(registrations, batch_size=2000)
        if first_seen:
            stamp = "unit_reported_at" if side == Side.UNIT else "community_reported_at"
            Returnee.objects.bulk_update(first_seen, [stamp], batch_size=2000)
        # Isolation for the three categories, from the return date (or today).
        has_order = set(IsolationOrder.objects.filter(returnee__in=[p.pk for p in people]).values_list(
            "returnee_id", flat=True))
        orders = []
        for person in {p.pk: p for p in people}.values():
            if person.category in ISOLATED_CATEGORIES and person.pk not in has_order:
                start = person.return_date or timezone.localdate(now)
                days = isolation_days(person.category)
                orders.append(IsolationOrder(returnee=person, start_date=start, period_days=days,
                                             planned_end=start + dt.timedelta(days=days)))
        IsolationOrder.objects.bulk_create(orders, batch_size=2000)
        new_ids = {r.pk for r in new}
        changed_ids = {r.pk for r in changed}
        for person in {p.pk: p for p in people}.values():
            if person.pk in new_ids:
                result.created += 1
            elif person.pk in changed_ids:
                result.updated += 1
            else:
                result.unchanged += 1
        if len(rows) <= 50:
            result.returnees.extend(people)
    AuditEntry.objects.bulk_create(audit, batch_size=2000)
    return result


def _require(actor: User | None, perm: str) -> None:
    if actor is not None and not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


def register(*, actor: User | None, side: str, registered_at: dt.datetime | None = None, **data: Any) -> Returnee:
    """Register one returnee from one side (the form and the API). Raises ValidationError with
    field errors; the same rules as a ledger row."""
    _require(actor, "returnees.change")
    errors: dict[str, list[str]] = {}
    row: dict[str, Any] = {"row": 0}
    try:
        row["name"] = clean_text(str(data.get("name") or ""), max_length=60)
        if not row["name"]:
            errors["name"] = [_("The name is required.")]
    except ValidationError as exc:
        errors["name"] = exc.messages
    try:
        row["id_number"] = parse_id_number(str(data.get("id_number") or "")).number
    except ValidationError as exc:
        errors["id_number"] = exc.messages
    try:
        row["phone"] = normalize_phone(str(data["phone"])) if data.get("phone") else ""
    except ValidationError as exc:
        errors["phone"] = exc.messages
    for key, limit in (("address", 200), ("origin_text", 100), ("transport", 40), ("notes", 500)):
        try:
            row[key] = clean_text(str(data.get(key) or ""), max_length=limit, multiline=key == "notes")
        except ValidationError as exc:
            errors[key] = exc.messages
    row["origin_code"] = str(data.get("origin_code") or "")[:6]
    category = data.get("category") or Category.OUTSIDE
    if category not in Category.values:
        errors["category"] = [_("Unknown category.")]
    row["category"] = category
    row["return_date"] = data.get("return_date")
    employer, community = data.get("unit"), data.get("community")
    row["employer"] = employer.code if isinstance(employer, Unit) else ""
    row["community"] = community.code if isinstance(community, Unit) else ""
    if errors:
        raise ValidationError(errors)
    clean, problems = validate_rows(actor=actor, side=side, rows=[row])
    if problems:
        raise ValidationError({
            ("unit" if p.column == "employer" else p.column): [p.reason] for p in problems
        })
    with transaction.atomic():
        result = apply_rows(actor=actor, side=side, rows=clean, registered_at=registered_at)
    return result.returnees[0]


@transaction.atomic
def returnee_update(*, actor: User | None, returnee: Returnee, **data: Any) -> Returnee:
    """Correct a returnee's details (not the ID number: a wrong ID is a merge)."""
    _require(actor, "returnees.change")
    returnee = Returnee.objects.select_for_update().get(pk=returnee.pk)
    before = snapshot(returnee)
    errors: dict[str, list[str]] = {}
    for key, limit in (("name", 60), ("address", 200), ("origin_text", 100), ("transport", 40), ("notes", 500)):
        if key in data:
            try:
                setattr(returnee, key, clean_text(str(data[key] or ""), max_length=limit, multiline=key == "notes"))
            except ValidationError as exc:
                errors[key] = exc.messages
    if "phone" in data:
        try:
            returnee.phone = normalize_phone(str(data["phone"])) if data["phone"] else ""
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if "category" in data:
        returnee.category = data["category"]
    if "return_date" in data:
        returnee.return_date = data["return_date"]
    if errors:
        raise ValidationError(errors)
    returnee.full_clean()
    returnee.save()
    audit_change(actor=actor, obj=returnee, before=before)
    return returnee


# ---- isolation -------------------------------------------------------------------------


@transaction.atomic
def isolation_change(
    *, actor: User | None, order: IsolationOrder, days: int, reason: str, approver: str
) -> IsolationOrder:
    """Extend (days > 0) or shorten (days < 0) an isolation; the follow-up schedule follows the end."""
    _require(actor, "returnees.isolation")
    order = IsolationOrder.objects.select_for_update().get(pk=order.pk)
    if order.released_on is not None:
        raise ValidationError(_("This isolation has already been released."))
    if days == 0:
        raise ValidationError({"days": [_("Give a number of days other than zero.")]})
    reason = clean_text(reason, max_length=200)
    approver = clean_text(approver, max_length=60)
    if not reason or not approver:
        raise ValidationError(_("A reason and an approver are required."))
    new_end = order.planned_end + dt.timedelta(days=days)
    if new_end <= order.start_date:
        raise ValidationError({"days": [_("The isolation cannot end before it starts.")]})
    before = snapshot(order)
    IsolationChange.objects.create(
        order=order, kind=ChangeKind.EXTEND if days > 0 else ChangeKind.SHORTEN, days=days, old_end=order.planned_end,
        new_end=new_end, reason=reason, approver=approver, changed_by=actor, changed_at=timezone.now(),
    )
    order.planned_end = new_end
    order.period_days = (new_end - order.start_date).days
    order.save(update_fields=["planned_end", "period_days"])
    audit_change(actor=actor, obj=order, before=before)
    return order


@transaction.atomic
def isolation_release(*, actor: User | None, order: IsolationOrder, day: dt.date, note: str = "") -> IsolationOrder:
    _require(actor, "returnees.isolation")
    order = IsolationOrder.objects.select_for_update().get(pk=order.pk)
    if order.released_on is not None:
        raise ValidationError(_("This isolation has already been released."))
    if day < order.start_date:
        raise ValidationError({"day": [_("The release date is before the isolation started.")]})
    before = snapshot(order)
    order.released_on = day
    order.released_by = actor
    order.release_note = clean_text(note, max_length=200)
    order.save(update_fields=["released_on", "released_by", "release_note"])
    audit_change(actor=actor, obj=order, before=before)
    return order


@transaction.atomic
def follow_up_record(
    *, actor: User | None, order: IsolationOrder, day: dt.date, temperature: Decimal, symptoms: str = "",
    at_home: bool = True, checked_at: dt.datetime | None = None,
) -> FollowUp:
    """Record (or correct) one day's follow-up. Only days of the isolation are due."""
    _require(actor, "returnees.followup")
    if not order.is_due(day):
        raise ValidationError({"day": [_("No follow-up is due on this day: it is outside the isolation.")]})
    if not Decimal("34.0") <= temperature <= Decimal("43.0"):
        raise ValidationError({"temperature": [_("A body temperature must be between 34.0 and 43.0 °C.")]})
    symptoms = clean_text(symptoms, max_length=200)
    follow_up, created = FollowUp.objects.select_for_update().get_or_create(
        order=order, day=day,
        defaults={"temperature": temperature, "symptoms": symptoms, "at_home": at_home, "checked_by": actor,
                  "checked_at": checked_at or timezone.now()},
    )
    if created:
        audit_change(actor=actor, obj=follow_up, before=None)
        return follow_up
    before = snapshot(follow_up)
    follow_up.temperature, follow_up.symptoms, follow_up.at_home = temperature, symptoms, at_home
    follow_up.checked_by, follow_up.checked_at = actor, checked_at or timezone.now()
    follow_up.save()
    audit_change(actor=actor, obj=follow_up, before=before)
    return follow_up


# ---- merging ---------------------------------------------------------------------------


@transaction.atomic
def returnee_merge(*, actor: User | None, keep: Returnee, remove: Returnee) -> Returnee:
    """Merge a duplicate into the record kept: its registrations move over (the earliest of each
    side dates the kept record), its isolation moves when the kept record has none."""
    _require(actor, "returnees.merge")
    if keep.pk == remove.pk:
        raise ValidationError(_("Choose two different records."))
    keep = Returnee.objects.select_for_update().get(pk=keep.pk)
    remove = Returnee.objects.select_for_update().get(pk=remove.pk)
    before_keep, before_remove = snapshot(keep), snapshot(remove)
    kept_pairs = set(keep.registrations.values_list("side", "unit_id"))
    for registration in remove.registrations.all():
        if (registration.side, registration.unit_id) in kept_pairs:
            registration.delete()
        else:
            registration.returnee = keep
            registration.save(update_fields=["returnee"])
    for stamp in ("unit_reported_at", "community_reported_at"):
        values = [v for v in (getattr(keep, stamp), getattr(remove, stamp)) if v is not None]
        setattr(keep, stamp, min(values) if values else None)
    for name in ("phone", "unit", "community", "address", "origin_text", "origin_code", "transport", "return_date"):
        if not getattr(keep, name) and getattr(remove, name):
            setattr(keep, name, getattr(remove, name))
    if not hasattr(keep, "isolation") and hasattr(remove, "isolation"):
        order = remove.isolation
        order.returnee = keep
        order.save(update_fields=["returnee"])
    keep.save()
    audit_log(
        actor=actor, action=Action.UPDATE, obj=keep, before=before_keep, after=snapshot(keep),
        detail=f"merged {remove.pk} ({remove.masked_id_number}) into {keep.pk}",
    )
    audit_log(actor=actor, action=Action.DELETE, obj=remove, before=before_remove, detail=f"merged into {keep.pk}")
    remove.delete()
    return keep
