"""How passes read in the audit log (see fangkong.audit.registry)."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from fangkong.audit.registry import register
from fangkong.audit.rendering import Context

from .choices import Verdict


def _filterset() -> type:
    from .filtersets import PassFilterSet

    return PassFilterSet


def _lookup(match: re.Match[str], ctx: Context) -> list[str]:
    verdict = dict(Verdict.choices).get(match.group(2), match.group(2))
    return [
        _("at %(checkpoint)s") % {"checkpoint": ctx.refs.name("orgs.unit", match.group(1), by="code")},
        _("verdict: %(verdict)s") % {"verdict": verdict},
    ]


def _limited(match: re.Match[str], ctx: Context) -> list[str]:
    return [_("at most %(count)s lookups a minute") % {"count": match.group(1)}]


def _renumbered(match: re.Match[str], ctx: Context) -> list[str]:
    return [_("renumbered when pass numbers became random")]


register(
    "passes.pass",
    hidden=frozenset({"key", "token"}),
    labels={"issued_by": _lazy("issued by")},
    details=[(re.compile(r"^(\S+) ([a-z_]+)$"), _lookup),
             (re.compile(r"^pass lookups by number: (\d+) a minute$"), _limited),
             (re.compile(r"^pass renumbered \(migration\)$"), _renumbered)],
    verbs={"pass_lookup": _lazy("looked up by number %(what)s")},
    filterset=_filterset,
)
