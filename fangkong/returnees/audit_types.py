"""How the returnee ledger's records read in the audit log (see fangkong.audit.registry)."""

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from fangkong.audit.registry import register
from fangkong.audit.rendering import Context, date_text


def _filterset() -> type:
    from .filtersets import ReturneeFilterSet

    return ReturneeFilterSet


def _merged_in(match: re.Match[str], ctx: Context) -> list[str]:
    return [_("no. %(id)s (%(masked)s) merged into this record") % {"id": match.group(1), "masked": match.group(2)}]


def _merged_into(match: re.Match[str], ctx: Context) -> list[str]:
    return [_("merged into %(name)s (no. %(id)s)") % {
        "name": ctx.refs.name("returnees.returnee", match.group(1)), "id": match.group(1),
    }]


def _returnee(ctx: Context, values: dict[str, Any] | None = None) -> str:
    pk = (values or ctx.values).get("returnee")
    return ctx.refs.name("returnees.returnee", pk) if pk else ""


def _order_name(ctx: Context) -> str:
    record: Any = ctx.record()
    return record.returnee.name if record is not None else _returnee(ctx) or ctx.entry.object_repr


def _follow_up_name(ctx: Context) -> str:
    values = ctx.values
    order = ctx.refs.get("returnees.isolationorder", values.get("order"))
    who = order.returnee.name if order is not None else ""  # type: ignore[attr-defined]
    day = date_text(values["day"]) if values.get("day") else ""
    return " ".join(part for part in (who, day) if part)


def _conflict_name(ctx: Context) -> str:
    record: Any = ctx.record()
    values = {"returnee": getattr(record, "returnee_id", None), "claiming_unit": getattr(record, "claiming_unit_id", None),
              **ctx.values}
    claimant = ctx.refs.name("orgs.unit", values.get("claiming_unit")) if values.get("claiming_unit") else ""
    name = _returnee(ctx, values) or str(values.get("name", ""))
    return _("%(name)s, claimed by %(unit)s") % {"name": name, "unit": claimant} if claimant else name


def _claimed(raw: Any, ctx: Context) -> str:
    return ctx.of("returnees.returnee").facts(raw) if isinstance(raw, dict) else str(raw)


def _isolation_ref(order: Any) -> str:
    return _("home isolation of %(name)s") % {"name": order.returnee.name}


register(
    "returnees.returnee",
    labels={"name": _lazy("full name"), "import": _lazy("ledger import")},
    refs={"import": ("returnees.ledgerimport", "pk")},
    details=[(re.compile(r"^merged (\d+) \((\S*)\) into \d+$"), _merged_in),
             (re.compile(r"^merged into (\d+)$"), _merged_into)],
    filterset=_filterset,
)
register(
    "returnees.isolationorder", name=_order_name, live=True, ref_name=_isolation_ref, related=("returnee",),
)
register("returnees.followup", name=_follow_up_name, verbs={"create": _lazy("recorded %(what)s")})
register(
    "returnees.attributionconflict",
    fallback="returnees.returnee",
    labels={"import": _lazy("ledger import"), "name": _lazy("full name")},
    refs={"import": ("returnees.ledgerimport", "pk")},
    formatters={"claimed": _claimed},
    # The person and the claimant are in the record's name.
    hidden=frozenset({"returnee", "claiming_unit", "claiming_registration", "source_import", "opened_at"}),
    name=_conflict_name,
    live=True,
    verbs={"create": _lazy("opened %(what)s")},
)
register(
    "returnees.ledgerimport",
    label=_lazy("ledger file"),
    hidden=frozenset({"stored_path", "errors", "progress", "message"}),
    verbs={"create": _lazy("imported %(what)s")},
)
