"""How the publicity line's records read in the audit log (see fangkong.audit.registry)."""

from django.utils.translation import gettext_lazy as _lazy

from fangkong.audit.registry import register

register("publicity.outlet", label=_lazy("media outlet"))
register("publicity.material", label=_lazy("publicity material"))
register("publicity.mediapush", label=_lazy("media push"))
register("publicity.officialforward", label=_lazy("official forward"))
register("publicity.pledge", label=_lazy("pledge"))
register("publicity.pledgesignature", label=_lazy("pledge signature"), hidden=frozenset({"share_code"}))
register("publicity.modeldeed", label=_lazy("model deed"))
register("publicity.checklistentry", label=_lazy("checklist"))
register("publicity.scoreformula", label=_lazy("score formula"))
register("publicity.comparison", label=_lazy("comparison of units"))
