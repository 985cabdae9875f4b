"""How notification channels, messages and deliveries read in the audit log
(see fangkong.audit.registry)."""

from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from fangkong.audit.registry import register
from fangkong.audit.rendering import Context


def _target(raw: Any, ctx: Context) -> str:
    # A robot's webhook address carries its key in the query: only the host is shown.
    text = str(raw or "")
    if "://" in text:
        return f"{urlsplit(text).netloc}/…"
    return text


def _delivery_name(ctx: Context) -> str:
    message = ctx.values.get("message")
    return ctx.refs.name("notify.message", message) if message else ctx.entry.object_repr


register("notify.channel", secret=frozenset({"secret"}), formatters={"target": _target})
register("notify.message", hidden=frozenset({"key"}), verbs={"create": _("sent %(what)s")})
register("notify.delivery", name=_delivery_name)
