"""Writing daily reports: templates and their fields, submissions and zero reports (one report
per unit and day, every change kept as a revision), corrections after locking, concealment flags
and their review. Keyword-only, typed, atomic, audited."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.choices import Action
from fangkong.audit.services import audit_change, audit_log, snapshot
from fangkong.core import clock
from fangkong.core.actors import SYSTEM, user_of
from fangkong.core.scoping import unit_in_scope, user_has_perm
from fangkong.core.text import clean_text
from fangkong.orgs.models import Unit
from fangkong.orgs.services import UnitMove

from .choices import FieldKind, FlagKind, FlagStatus, Measure, RevisionKind
from .models import (
    ConcealmentFlag,
    Report,
    ReportField,
    ReportRevision,
    ReportRollup,
    ReportTemplate,
    TemplateVersion,
)
from .selectors import end_of_day, is_expected

if TYPE_CHECKING:
    from fangkong.core.actors import Actor

TEXT_MAX = 500


def lock_days() -> int:
    return int(getattr(settings, "FANGKONG_REPORTS_LOCK_DAYS", 3))


def is_locked(day: dt.date, today: dt.date | None = None) -> bool:
    """A day's reports lock ``FANGKONG_REPORTS_LOCK_DAYS`` days later (at 00:00 local time)."""
    today = today or clock.today()
    return today >= day + dt.timedelta(days=lock_days())


def _require(actor: Actor, perm: str) -> None:
    # No actor holds no permission: system work passes ``core.actors.SYSTEM``.
    if not user_has_perm(actor, perm):
        raise PermissionDenied(_("Your role may not do this."))


# --- templates -------------------------------------------------------------------------------

def _snapshot_fields(*, template: ReportTemplate, actor: Actor) -> TemplateVersion:
    fields = [f.definition() for f in template.fields.filter(removed_at__isnull=True).order_by("position", "id")]
    version, _created = TemplateVersion.objects.update_or_create(
        template=template, number=template.version, defaults={"fields": fields, "created_by": user_of(actor)},
    )
    return version


@transaction.atomic
def template_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    line: str,
    unit_kinds: list[str],
    start_date: dt.date,
    deadline: dt.time = dt.time(16, 0),
    end_date: dt.date | None = None,
    root: Unit | None = None,
    fields: list[dict[str, Any]] | None = None,
) -> ReportTemplate:
    """Create a template with its fields (each a dict of ReportField attributes) and version 1."""
    _require(actor, "reports.change")
    template = ReportTemplate(
        code=code, name=name, line=line, unit_kinds=list(unit_kinds), start_date=start_date, deadline=deadline,
        end_date=end_date, root=root,
    )
    template.full_clean()
    template.save()
    for position, spec in enumerate(fields or []):
        field = ReportField(template=template, position=spec.pop("position", position), **spec)
        field.full_clean()
        field.save()
    _snapshot_fields(template=template, actor=actor)
    # Not audit_change: the snapshot cannot hold the deadline's time of day.
    audit_log(actor=actor, action=Action.CREATE, obj=template, detail=f"{line} v1")
    return template


def _bump(template: ReportTemplate, actor: Actor) -> TemplateVersion:
    template.version += 1
    template.save(update_fields=["version", "updated_at"])
    return _snapshot_fields(template=template, actor=actor)


@transaction.atomic
def field_add(*, actor: Actor, template: ReportTemplate, **spec: Any) -> ReportField:
    """Add a question to a template: a new version, no release needed. Reports already sent keep
    the version they answered."""
    _require(actor, "reports.change")
    if template.fields.filter(key=spec.get("key")).exists():
        raise ValidationError({"key": [_("This template already has a field with this key.")]})
    last = template.fields.order_by("-position").values_list("position", flat=True).first()
    spec.setdefault("position", (last or 0) + 1)
    field = ReportField(template=template, **spec)
    field.full_clean()
    field.save()
    _bump(template, actor)
    audit_change(actor=actor, obj=field, before=None)
    return field


@transaction.atomic
def field_remove(*, actor: Actor, field: ReportField) -> ReportField:
    """Retire a field: new reports no longer ask it, old reports still show their answers."""
    _require(actor, "reports.change")
    before = snapshot(field)
    field.removed_at = clock.now()
    field.save(update_fields=["removed_at"])
    _bump(field.template, actor)
    audit_change(actor=actor, obj=field, before=before)
    return field


# Field definitions per template version, read once per process: a version never changes once
# written (every change to the fields makes a new one). Keyed with the template's creation time
# as well, so a template recreated with the same id (tests, a reset demo) is never confused.
_VERSIONS: dict[tuple[int, int, str], TemplateVersion] = {}


def current_version(template: ReportTemplate) -> TemplateVersion:
    key = (template.pk, template.version, template.created_at.isoformat() if template.created_at else "")
    version = _VERSIONS.get(key)
    if version is None:
        version = TemplateVersion.objects.filter(template=template, number=template.version).first()
        if version is None:
            return _snapshot_fields(template=template, actor=SYSTEM)
        if len(_VERSIONS) > 1000:
            _VERSIONS.clear()
        _VERSIONS[key] = version
    return version


# --- values ----------------------------------------------------------------------------------

def clean_values(fields: list[dict[str, Any]], raw: dict[str, Any]) -> dict[str, Any]:
    """Check the answers against the field definitions; a dict of Chinese errors per key otherwise.

    Empty answers are left out; an answer to a field the template no longer asks is refused.
    """
    errors: dict[str, list[str]] = {}
    known = {f["key"]: f for f in fields}
    for key in raw:
        if key not in known:
            errors[key] = [_("This field is not (or no longer) part of the report.")]
    values: dict[str, Any] = {}
    for field in fields:
        key, value = field["key"], raw.get(field["key"])
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if field["required"]:
                errors[key] = [_("%(label)s is required.") % {"label": field["label"]}]
            continue
        if field["kind"] == FieldKind.INTEGER:
            try:
                number = int(value) if not isinstance(value, bool) else None
                if number is None or (isinstance(value, float) and value != number):
                    raise ValueError
            except (TypeError, ValueError):
                errors[key] = [_("%(label)s must be a whole number.") % {"label": field["label"]}]
                continue
            if number < 0:
                errors[key] = [_("%(label)s cannot be negative.") % {"label": field["label"]}]
            elif number > field.get("max", 10000):
                errors[key] = [
                    _("%(label)s: %(value)s is implausibly large (at most %(max)s).")
                    % {"label": field["label"], "value": number, "max": field.get("max", 10000)}
                ]
            else:
                values[key] = number
        elif field["kind"] == FieldKind.BOOLEAN:
            if isinstance(value, bool):
                values[key] = value
            elif str(value).lower() in {"1", "true", "yes", "on", "是"}:
                values[key] = True
            elif str(value).lower() in {"0", "false", "no", "off", "否"}:
                values[key] = False
            else:
                errors[key] = [_("%(label)s must be yes or no.") % {"label": field["label"]}]
        else:
            try:
                values[key] = clean_text(str(value), max_length=TEXT_MAX, multiline=True)
            except ValidationError as exc:
                errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    return values


# --- submission ------------------------------------------------------------------------------

def _check_submit(*, actor: Actor, template: ReportTemplate, unit: Unit, day: dt.date,
                  at: dt.datetime, correcting: bool) -> None:
    _require(actor, "reports.correct" if correcting else "reports.submit")
    if not unit_in_scope(actor, unit.pk):
        raise PermissionDenied(_("You can only report for your own unit."))
    if day > timezone.localdate(at):
        raise ValidationError({"day": [_("A report cannot be sent for a future day.")]})
    if not is_expected(template, unit, day):
        raise ValidationError({"day": [_("This unit is not asked to send this report on that day.")]})
    if is_locked(day, timezone.localdate(at)) and not correcting:
        raise ValidationError({"day": [
            _("The reports of this day are locked; only the committee office can correct them, with a reason.")
        ]})


def report_submit(
    *,
    actor: Actor,
    template: ReportTemplate,
    unit: Unit,
    day: dt.date,
    values: dict[str, Any] | None = None,
    zero: bool = False,
    at: dt.datetime | None = None,
    reason: str = "",
    correcting: bool = False,
) -> Report:
    """Send (or resend) a unit's report for a day; ``zero`` sends the one-tap zero report.

    One report per template, unit and day: a second submission updates the report and the earlier
    values stay in its revisions. Two submissions at the same moment are serialised by the unique
    constraint and a row lock, so neither is lost and no second report appears.
    """
    at = at or clock.now()
    _check_submit(actor=actor, template=template, unit=unit, day=day, at=at, correcting=correcting)
    if correcting:
        reason = clean_text(reason or "", max_length=200)
        if not reason:
            raise ValidationError({"reason": [_("A correction needs a reason.")]})
    version = current_version(template)
    if zero:
        clean: dict[str, Any] = {}
    else:
        clean = clean_values(version.fields, values or {})
        if not clean:
            raise ValidationError({"__all__": [
                _("The report is empty. Fill in the figures, or tap “Nothing new today” to send a zero report.")
            ]})
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _write(actor=actor, template=template, unit=unit, day=day, version=version,
                              values=clean, zero=zero, at=at, reason=reason, correcting=correcting)
        except IntegrityError:
            # Another submission created the report between our read and our insert: retry, and
            # the retry finds it and updates it.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _write(*, actor: Actor, template: ReportTemplate, unit: Unit, day: dt.date, version: TemplateVersion,
           values: dict[str, Any], zero: bool, at: dt.datetime, reason: str, correcting: bool) -> Report:
    # Before any row is locked: a move of the unit waits for this submission, or it for the move.
    _rollup_lock(exclusive=False)
    report = Report.objects.select_for_update().filter(template=template, unit=unit, day=day).first()
    by = user_of(actor)
    if report is not None and not correcting and report.is_zero == zero and report.values == values \
            and report.version_id == version.pk:
        # The same report sent again (a retry, a double tap): nothing changes.
        return report
    if report is None:
        report = Report(
            template=template, unit=unit, day=day, version=version, is_zero=zero, values=values, received_at=at,
            in_day=at < end_of_day(day), on_time=at <= template.deadline_at(day), updated_at=at, submitted_by=by,
        )
        report.save()
        delta = (int(report.in_day), int(report.in_day and zero), int(report.on_time))
        kind = RevisionKind.SUBMIT
        before = None
    else:
        before = snapshot(report)
        delta = (0, (1 if zero else -1) if report.in_day and report.is_zero != zero else 0, 0)
        report.version, report.is_zero, report.values = version, zero, values
        report.updated_at, report.submitted_by = at, by
        report.revision_count += 1
        report.save(update_fields=["version", "is_zero", "values", "updated_at", "submitted_by", "revision_count"])
        kind = RevisionKind.CORRECT if correcting else RevisionKind.UPDATE
    ReportRevision.objects.create(
        report=report, number=report.revision_count, kind=kind, version=version, is_zero=zero, values=values,
        changed_by=by, changed_at=at, reason=reason,
    )
    audit_change(actor=actor, obj=report, before=before)
    concealment_scan(template=template, day=day, units=[unit.pk], at=at, version=version,
                     first_report=before is None)
    # Last, just before the commit: every submission of the city adds to the same rows of the
    # city and the bodies above the unit, so those row locks are held as briefly as possible.
    rollup_add(report, submitted=delta[0], zero=delta[1], on_time=delta[2])
    return report


# The roll-up's advisory lock on PostgreSQL. Submissions take it shared (they never wait for each
# other); a move of a unit and a rebuild take it exclusively, so a submission adds to the
# ancestors of the tree as it stands once the move has committed, never to ones a move is
# taking the subtree away from. Both take it before locking any row (a submission at the start
# of ``_write``, a move through ``orgs.services.before_move``): neither can then hold it while
# waiting on a row the other has locked. SQLite lets one writer at a time in anyway.
ROLLUP_LOCK_KEY = 0x66_6B_72_72  # "fkrr"


def _rollup_lock(*, exclusive: bool) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)" if exclusive else "SELECT pg_advisory_xact_lock_shared(%s)",
            [ROLLUP_LOCK_KEY],
        )


def rollup_lock_for_move() -> None:
    """Taken at the start of a move (``orgs.services.before_move``)."""
    _rollup_lock(exclusive=True)


def rollup_add(report: Report, *, submitted: int, zero: int, on_time: int) -> None:
    """Add a report's counts to the roll-up rows of its unit and every unit above it. The caller
    holds the roll-up lock shared (``_write``).

    One INSERT … ON CONFLICT DO UPDATE (SQLite and PostgreSQL alike), rows in id order so that
    concurrent submissions lock the shared ancestors in the same order and cannot deadlock.
    """
    from fangkong.orgs.models import UnitLink

    if not (submitted or zero or on_time):
        return
    table = connection.ops.quote_name(ReportRollup._meta.db_table)
    link = connection.ops.quote_name(UnitLink._meta.db_table)
    with connection.cursor() as cursor:
        # The ancestors come straight from the closure table in the same statement (the WHERE
        # clause keeps SQLite from reading ON CONFLICT as a join constraint).
        cursor.execute(
            f"INSERT INTO {table} (template_id, day, node_id, submitted, zero, on_time) "
            f"SELECT %s, %s, ancestor_id, %s, %s, %s FROM {link} WHERE descendant_id = %s "
            "ORDER BY ancestor_id "
            "ON CONFLICT (template_id, node_id, day) DO UPDATE SET submitted = "
            f"{table}.submitted + excluded.submitted, zero = {table}.zero + excluded.zero, "
            f"on_time = {table}.on_time + excluded.on_time",
            [report.template_id, report.day, submitted, zero, on_time, report.unit_id],
        )


def rollup_rebuild(*, template: ReportTemplate, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """Recompute the roll-up of a template (optionally of a date range) from its reports, in SQL.
    Used after bulk loads (the demo, benchmarks) and to repair it."""
    from fangkong.orgs.models import UnitLink

    rollups = ReportRollup.objects.filter(template=template)
    where = "r.template_id = %s"
    params: list[Any] = [template.pk]
    if start is not None:
        rollups, where, params = rollups.filter(day__gte=start), where + " AND r.day >= %s", [*params, start]
    if end is not None:
        rollups, where, params = rollups.filter(day__lte=end), where + " AND r.day <= %s", [*params, end]
    r, link = connection.ops.quote_name(Report._meta.db_table), connection.ops.quote_name(UnitLink._meta.db_table)
    table = connection.ops.quote_name(ReportRollup._meta.db_table)
    with transaction.atomic():
        _rollup_lock(exclusive=True)
        rollups.delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (template_id, day, node_id, submitted, zero, on_time) "
                "SELECT r.template_id, r.day, l.ancestor_id, "
                "SUM(CASE WHEN r.in_day THEN 1 ELSE 0 END), SUM(CASE WHEN r.in_day AND r.is_zero THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN r.on_time THEN 1 ELSE 0 END) "
                f"FROM {r} r JOIN {link} l ON l.descendant_id = r.unit_id WHERE {where} "
                "GROUP BY r.template_id, r.day, l.ancestor_id",
                params,
            )
            return int(cursor.rowcount)


def rollup_move(move: UnitMove) -> None:
    """Keep the roll-up true to the tree when a unit moves (``orgs.services.after_move``).

    The moved unit's own rows hold the counts of its whole subtree, day by day: they are taken
    off every unit it was under and added to every unit it is under now, in the move's
    transaction. The rows of the subtree's own units do not change (what is under them stays).
    """
    from fangkong.orgs.models import Unit as UnitModel

    _rollup_lock(exclusive=True)
    table = connection.ops.quote_name(ReportRollup._meta.db_table)
    units = connection.ops.quote_name(UnitModel._meta.db_table)
    for sign, ancestors in ((-1, move.old_ancestors), (1, move.new_ancestors)):
        if not ancestors:
            continue
        marks = ", ".join(["%s"] * len(ancestors))
        with connection.cursor() as cursor:
            # Rows in (node, template, day) order, as every submission locks them: no deadlock.
            cursor.execute(
                f"INSERT INTO {table} (template_id, day, node_id, submitted, zero, on_time) "
                "SELECT r.template_id, r.day, a.id, %s * r.submitted, %s * r.zero, %s * r.on_time "
                f"FROM {table} r JOIN {units} a ON a.id IN ({marks}) WHERE r.node_id = %s "
                "ORDER BY a.id, r.template_id, r.day "
                "ON CONFLICT (template_id, node_id, day) DO UPDATE SET submitted = "
                f"{table}.submitted + excluded.submitted, zero = {table}.zero + excluded.zero, "
                f"on_time = {table}.on_time + excluded.on_time",
                [sign, sign, sign, *ancestors, move.unit_id],
            )
    # A rebuild keeps no row for a day with nothing counted; neither does the roll-up after a move.
    ReportRollup.objects.filter(node_id__in=move.old_ancestors, submitted=0, zero=0, on_time=0).delete()


def report_correct(*, actor: Actor, report: Report, values: dict[str, Any] | None = None,
                   zero: bool = False, reason: str, at: dt.datetime | None = None) -> Report:
    """The committee office corrects a report (locked or not), with a reason."""
    return report_submit(actor=actor, template=report.template, unit=report.unit, day=report.day, values=values,
                         zero=zero, at=at, reason=reason, correcting=True)


# --- concealment (瞒报) ------------------------------------------------------------------------

def _returnee_key(template: ReportTemplate, version: TemplateVersion | None = None) -> str | None:
    for field in (version or current_version(template)).fields:
        if field.get("measure") == Measure.RETURNEES_NEW:
            return str(field["key"])
    return None


def _evidence(regs: Any) -> list[dict[str, Any]]:
    return [
        {
            "returnee": r.returnee_id, "name": r.returnee.name, "id_number": r.returnee.masked_id_number,
            "side": r.side, "registered_by_unit": r.unit.name,
            "registered_at": timezone.localtime(r.registered_at).strftime("%Y-%m-%d %H:%M"),
        }
        for r in regs
    ]


def concealment_scan(*, template: ReportTemplate, day: dt.date, units: list[int] | None = None,
                     at: dt.datetime | None = None, version: TemplateVersion | None = None,
                     first_report: bool = False) -> list[ConcealmentFlag]:
    """Compare the day's reports with the returnee ledger: raise, refresh or resolve flags.

    - a zero report, or a count of new returnees below the unit-side registrations of that day;
    - community registrations of that day naming the unit as employer, for people the unit never
      registered, while its report for the day counted fewer than the ledger shows.
    An open flag whose check now holds (the report was corrected, or the ledger changed) is
    resolved, with the report's figure and the ledger's; one that still fails is refreshed.
    Flags already reviewed are left as they are. The checks are the platform's: flags are
    written and audited as ``SYSTEM``. ``first_report``: the unit's report was only just created
    (no flag can be open for it yet). Returns the flags that fail now.
    """
    from fangkong.returnees.choices import Side
    from fangkong.returnees.models import Registration

    key = _returnee_key(template, version)
    if key is None:
        return []
    at = at or clock.now()
    start = dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())
    end = end_of_day(day)
    regs = Registration.objects.filter(registered_at__gte=start, registered_at__lt=end)
    open_flags: dict[int, list[ConcealmentFlag]] = {}
    if not (units is not None and first_report):
        flags_qs = ConcealmentFlag.objects.filter(template=template, day=day, status=FlagStatus.OPEN)
        for open_flag in (flags_qs if units is None else flags_qs.filter(unit_id__in=units)):
            open_flags.setdefault(open_flag.unit_id, []).append(open_flag)
    if units is not None and not open_flags and \
            not regs.filter(Q(unit_id__in=units) | Q(stated_employer_id__in=units)).exists():
        # The usual case at the deadline: nothing in the ledger for this unit and day.
        return []
    # What the unit itself registered that day (a department its staff, a community its residents).
    unit_side = regs.all()
    community_side = regs.filter(side=Side.COMMUNITY, stated_employer__isnull=False).filter(
        Q(returnee__unit_reported_at__isnull=True) | Q(returnee__unit_reported_at__gt=end)
    )
    if units is not None:
        unit_side = unit_side.filter(unit_id__in=units)
        community_side = community_side.filter(stated_employer_id__in=units)
    own = dict(unit_side.values_list("unit_id").annotate(n=Count("id")).order_by())
    named = dict(community_side.values_list("stated_employer_id").annotate(n=Count("id")).order_by())
    if not own and not named and not open_flags:
        return []
    reports = {
        r.unit_id: r for r in Report.objects.filter(
            template=template, day=day, unit_id__in=set(own) | set(named) | set(open_flags))
    }
    flags: list[ConcealmentFlag] = []
    for unit_id, report in reports.items():
        reported = 0 if report.is_zero else int(report.values.get(key) or 0)
        checks: list[tuple[str, int, Any]] = []
        if own.get(unit_id, 0) > reported:
            kind: str = FlagKind.ZERO_CONTRADICTED if report.is_zero else FlagKind.COUNT_BELOW_LEDGER
            checks.append((kind, own[unit_id], unit_side.filter(unit_id=unit_id)))
        if named.get(unit_id, 0) and own.get(unit_id, 0) + named[unit_id] > reported:
            checks.append((FlagKind.COMMUNITY_UNCOUNTED, named[unit_id], community_side.filter(stated_employer_id=unit_id)))
        for kind, ledger, evidence_qs in checks:
            evidence = _evidence(evidence_qs.select_related("returnee", "unit").order_by("registered_at")[:50])
            flag, created = ConcealmentFlag.objects.get_or_create(
                template=template, unit_id=unit_id, day=day, kind=kind,
                defaults={"report": report, "reported": reported, "ledger": ledger, "evidence": evidence,
                          "raised_at": at},
            )
            if not created and flag.status == FlagStatus.OPEN:
                flag.report, flag.reported, flag.ledger, flag.evidence = report, reported, ledger, evidence
                flag.save(update_fields=["report", "reported", "ledger", "evidence"])
            if created:
                audit_log(actor=SYSTEM, action=Action.CREATE, obj=flag, detail=kind)
            flags.append(flag)
        failing = {kind for kind, _ledger, _qs in checks}
        for stale in open_flags.get(unit_id, []):
            if stale.kind in failing:
                continue
            # The check holds now: the flag is closed with the figures that made it hold.
            before = snapshot(stale)
            stale.status, stale.report, stale.reported = FlagStatus.RESOLVED, report, reported
            stale.ledger = named.get(unit_id, 0) if stale.kind == FlagKind.COMMUNITY_UNCOUNTED else own.get(unit_id, 0)
            stale.reviewed_at = at
            stale.save(update_fields=["status", "report", "reported", "ledger", "reviewed_at"])
            audit_change(actor=SYSTEM, obj=stale, before=before)
    return flags


def concealment_rescan(*, since: dt.date, until: dt.date, at: dt.datetime | None = None) -> list[ConcealmentFlag]:
    """Check every active template's days from ``since`` to ``until`` against the ledger again.

    A report is checked when it is sent, but the ledger keeps growing afterwards: a community
    registers a returnee in the evening naming a unit whose zero report went in at noon. The
    reminder loop runs this over the days not yet locked, so such reports are flagged the same
    day; ``fangkong scan_concealment`` runs it over any range.
    """
    flags: list[ConcealmentFlag] = []
    templates = ReportTemplate.objects.filter(is_active=True, start_date__lte=until).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=since)
    )
    for template in templates:
        first = max(since, template.start_date)
        last = min(until, template.end_date or until)
        day = first
        while day <= last:
            with transaction.atomic():
                flags += concealment_scan(template=template, day=day, at=at)
            day += dt.timedelta(days=1)
    return flags


@transaction.atomic
def flag_review(*, actor: Actor, flag: ConcealmentFlag, confirm: bool, reason: str) -> ConcealmentFlag:
    """The committee office confirms or dismisses a concealment flag of a unit in its scope,
    always with a reason."""
    _require(actor, "reports.review")
    if not unit_in_scope(actor, flag.unit_id):
        raise PermissionDenied(_("This unit is outside your scope."))
    reason = clean_text(reason or "", max_length=300)
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the decision.")]})
    flag = ConcealmentFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != FlagStatus.OPEN:
        raise ValidationError({"__all__": [_("This flag has already been reviewed.")]})
    before = snapshot(flag)
    flag.status = FlagStatus.CONFIRMED if confirm else FlagStatus.DISMISSED
    flag.reviewed_by = user_of(actor)
    flag.reviewed_at = clock.now()
    flag.review_reason = reason
    flag.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    audit_change(actor=actor, obj=flag, before=before)
    return flag


@transaction.atomic
def flag_answer(*, actor: Actor, flag: ConcealmentFlag, answer: str) -> ConcealmentFlag:
    """The flagged unit answers (情况说明): what happened and what it did, recorded with the flag for
    the office's review. Only a role that sends the unit's reports, for a unit in its scope, while
    the flag is open; a later answer replaces the earlier one (the audit log keeps both)."""
    _require(actor, "reports.submit")
    if not unit_in_scope(actor, flag.unit_id):
        raise PermissionDenied(_("This unit is outside your scope."))
    answer = clean_text(answer or "", max_length=500)
    if not answer:
        raise ValidationError({"answer": [_("Write the unit's answer.")]})
    flag = ConcealmentFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != FlagStatus.OPEN:
        raise ValidationError({"__all__": [_("This flag has already been reviewed.")]})
    before = snapshot(flag)
    flag.answer = answer
    flag.answered_by = user_of(actor)
    flag.answered_at = clock.now()
    flag.save(update_fields=["answer", "answered_by", "answered_at"])
    audit_change(actor=actor, obj=flag, before=before)
    return flag
