"""How units, pairings and the demo load read in the audit log (see fangkong.audit.registry)."""

from django.utils.translation import gettext_lazy as _

from fangkong.audit.registry import register
from fangkong.audit.rendering import Context


def _filterset() -> type:
    from .filtersets import UnitFilterSet

    return UnitFilterSet


def _demo_name(ctx: Context) -> str:
    # Stored as "演示数据：<city>": the noun says the first half already.
    return ctx.entry.object_repr.split("：", 1)[-1]


register("orgs.unit", hidden=frozenset({"level"}), filterset=_filterset)
register("orgs.pairing")
register(
    "demo",
    label=_("demo data"),
    name=_demo_name,
    labels={"units": _("units"), "people": _("people"), "users": _("accounts")},
    verbs={"create": _("loaded %(what)s")},
)
