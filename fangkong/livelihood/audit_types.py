"""How the livelihood line's records read in the audit log (see fangkong.audit.registry)."""

from django.utils.translation import gettext_lazy as _lazy

from fangkong.audit.registry import register

register("livelihood.channel", label=_lazy("service channel"))
register("livelihood.windowservice", label=_lazy("window service"))
register("livelihood.channelvolume", label=_lazy("daily volume"))
register("livelihood.helprequest", label=_lazy("help request"), hidden=frozenset({"confirm_digest", "phone_cipher"}),
         related=("community",))
