"""The ledger's sub-navigation, shown on every ledger page."""

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.roles import Role
from fangkong.core.scoping import user_has_perm

register = template.Library()

# (url name, label, permission, roles that do not need the entry)
TABS: list[tuple[str, Any, str, frozenset[str]]] = [
    ("returnee_list", _("Ledger"), "returnees.view", frozenset()),
    ("followup_today", _("Today's follow-ups"), "returnees.view", frozenset()),
    ("reconciliation", _("Reconciliation"), "returnees.view", frozenset()),
    ("import_list", _("Imports"), "returnees.view", frozenset()),
    # The office decides attribution conflicts; a registrant follows its own claims there.
    ("conflict_list", _("Attribution conflicts"), "returnees.resolve", frozenset()),
    ("conflict_list", _("Awaiting decision"), "returnees.change", frozenset({Role.COMMITTEE_OFFICE})),
    ("register_community", _("Register (community)"), "returnees.change", frozenset({Role.UNIT_LIAISON})),
    ("register_unit", _("Report (unit)"), "returnees.change", frozenset({Role.COMMUNITY_STAFF})),
]


@register.inclusion_tag("returnees/_tabs.html", takes_context=True)
def ledger_tabs(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    current = getattr(request.resolver_match, "url_name", "")
    tabs = [
        {"url": reverse(f"returnees:{name}"), "label": label, "active": name == current}
        for name, label, perm, skip in TABS
        if user_has_perm(user, perm) and getattr(user, "role", "") not in skip
    ]
    return {"tabs": tabs}


@register.filter
def percent(value: Any) -> str:
    """A rate as a percentage; never rounds a rate below 1 up to 100%."""
    if value is None or value == "":
        return "—"
    pct = float(value) * 100
    text = f"{pct:.1f}".rstrip("0").rstrip(".")
    if pct < 100 and text == "100":
        text = "99.9"
    return f"{text}%"
