"""How secondments, rosters and the cadres report read in the audit log (see fangkong.audit.registry)."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from fangkong.audit.registry import register
from fangkong.audit.rendering import Context, date_text


def _secondment_filterset() -> type:
    from .filtersets import SecondmentFilterSet

    return SecondmentFilterSet


def _shift_filterset() -> type:
    from .filtersets import ShiftFilterSet

    return ShiftFilterSet


def _report(match: re.Match[str], ctx: Context) -> list[str]:
    return [_("as of %(day)s") % {"day": date_text(match.group(1))}, _("%(count)s rows") % {"count": match.group(2)}]


def _assignment_name(ctx: Context) -> str:
    values = ctx.values
    person = ctx.refs.name("people.person", values.get("person")) if values.get("person") else ""
    place = ctx.refs.name("orgs.unit", values.get("checkpoint")) if values.get("checkpoint") else ""
    return _("%(person)s at %(place)s") % {"person": person, "place": place} if person and place else ctx.entry.object_repr


def _shift_ref(shift: object) -> str:
    return str(shift)


register("deployment.secondment", hidden=frozenset({"source_import"}), filterset=_secondment_filterset)
register("deployment.shift", filterset=_shift_filterset, related=("checkpoint",), ref_name=_shift_ref)
register(
    "deployment.assignment",
    labels={"checkpoint": _lazy("checkpoint"), "starts_at": _lazy("starts at"), "ends_at": _lazy("ends at"),
            "assigned_by": _lazy("assigned by")},
    name=_assignment_name,
)
register(
    "deployment.secondmentimport",
    label=_lazy("secondment list file"),
    hidden=frozenset({"rows", "columns", "errors", "message"}),
    labels={"new_people": _lazy("new people")},
    verbs={"create": _lazy("imported %(what)s")},
)
register(
    "deployment.report",
    label=_lazy("report on the thousand cadres"),
    verbs={"export": _lazy("exported %(what)s")},
    details=[(re.compile(r"as_of=(\S+) rows=(\d+)"), _report)],
)
