"""How daily reports, their templates and concealment flags read in the audit log
(see fangkong.audit.registry)."""

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from fangkong.audit.registry import register
from fangkong.audit.rendering import Context, date_text, plain

from .choices import FlagKind, ReportLine


def _template_created(match: re.Match[str], ctx: Context) -> list[str]:
    line = dict(ReportLine.choices).get(match.group(1), match.group(1))
    return [_("line: %(line)s") % {"line": line}, _("version %(number)s") % {"number": match.group(2)}]


def _flag_kind(match: re.Match[str], ctx: Context) -> list[str]:
    return [str(dict(FlagKind.choices).get(match.group(1), match.group(1)))]


_STORED_NAME = re.compile(r"^(\d+) (\d{4}-\d{2}-\d{2})\b")


def _unit_day(ctx: Context) -> str:
    """A report or a flag is named by its unit and day: from its values, else from the record."""
    values = ctx.values
    unit_id, day = values.get("unit"), values.get("day")
    record: Any = ctx.record()
    if record is not None:
        unit_id, day = unit_id or record.unit_id, day or record.day
    stored = _STORED_NAME.match(ctx.entry.object_repr)
    if stored and not (unit_id and day):  # deleted since: the stored name holds its unit and day
        unit_id, day = unit_id or stored.group(1), day or stored.group(2)
    parts = [ctx.refs.name("orgs.unit", unit_id) if unit_id else "", date_text(day) if day else ""]
    return " ".join(p for p in parts if p) or ctx.entry.object_repr


def _report_values(raw: Any, ctx: Context) -> str:
    """A report's answers by the question's label (field keys are per template; any label will do)."""
    if not isinstance(raw, dict):
        return plain(raw)
    parts = []
    for key, value in raw.items():
        found: Any = ctx.refs.get("reports.reportfield", key, by="key")
        label = found.label if found is not None else key
        parts.append(f"{label}：{plain(value)}")
    return "，".join(parts) or _("(empty)")


register(
    "reports.reporttemplate",
    details=[(re.compile(r"^([a-z_]+) v(\d+)$"), _template_created)],
)
register("reports.reportfield", labels={"template": _lazy("report template"), "position": _lazy("order")})
register(
    "reports.report",
    name=_unit_day, live=True,
    hidden=frozenset({"version", "revision_count", "updated_at"}),
    formatters={"values": _report_values},
    verbs={"create": _lazy("submitted %(what)s")},
)
register(
    "reports.concealmentflag",
    name=_unit_day, live=True,
    hidden=frozenset({"evidence", "template", "report"}),
    details=[(re.compile(r"^([a-z_]+)$"), _flag_kind)],
    verbs={"create": _lazy("raised %(what)s")},
)
