"""How the donations line's records read in the audit log (see fangkong.audit.registry)."""

from django.utils.translation import gettext_lazy as _lazy

from fangkong.audit.registry import register

register("donations.measure")
register("donations.conversion")
register("donations.item")
register("donations.store")
register("donations.donor", hidden=frozenset({"contact"}))
register("donations.pledge")
register("donations.supplierlead")
register("donations.intake", hidden=frozenset({"remaining", "recorded_by"}))
register("donations.adjustment", hidden=frozenset({"recorded_by"}))
register("donations.need", labels={"raised_by": _lazy("raised by")})
register("donations.allocation")
register("donations.distribution", hidden=frozenset({"recorded_by"}))
register("donations.receipt")
register("donations.signinglink", hidden=frozenset({"token_hash"}))
register("donations.stockmove", label=_lazy("stock card"), verbs={"export": _lazy("exported %(what)s")})
register("donations.import", label=_lazy("donation list file"), verbs={"create": _lazy("imported %(what)s")})
