"""How notification channels, messages and deliveries read in the audit log
(see fangkong.audit.registry)."""

from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from fangkong.audit.registry import register
from fangkong.audit.rendering import Context

from .choices import DeliveryKind


def _target(raw: Any, ctx: Context) -> str:
    # A robot's webhook address carries its key in the query: only the host is shown.
    text = str(raw or "")
    if "://" in text:
        return f"{urlsplit(text).netloc}/…"
    return text


def _delivery_name(ctx: Context) -> str:
    # Stored as "<message id>/<kind>/<status>": named by its message's subject and the channel.
    message = ctx.values.get("message") or ctx.entry.object_repr.split("/", 1)[0]
    if not str(message).isdigit():
        return ctx.entry.object_repr
    kind = ctx.entry.object_repr.split("/")[1] if ctx.entry.object_repr.count("/") >= 2 else ""
    channel = str(dict(DeliveryKind.choices).get(kind, "")) if kind else ""
    subject = ctx.refs.name("notify.message", message)
    return f"{subject} · {channel}" if channel else subject


register("notify.channel", secret=frozenset({"secret"}), formatters={"target": _target})
register("notify.message", hidden=frozenset({"key"}), verbs={"create": _("sent %(what)s")})
register("notify.delivery", name=_delivery_name)
