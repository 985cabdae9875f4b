"""The workbench (工作台): the home page as each role's to-do list for the business day.

Each app contributes its to-do items with one function in its own ``workbench.py``, registered in
``SOURCES`` by its ``AppConfig.ready`` (the way ``stats.BLOCKS`` gathers the figures). A source
receives the ``Desk`` (who, which day, which moment) and answers the items that concern that user,
read through ``visible_to(user)`` like every page. The home page sorts them by urgency.

Two rules keep an item honest:
- its ``count`` is the number of rows of the list its ``url`` opens, for the same user and day
  (tests/test_workbench.py checks every item of every demo role);
- it is one tap from being done: the ``url`` is where it is done, or its ``actions`` do it at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse

from . import clock

log = logging.getLogger(__name__)

# Urgency: lower comes first.
OVERDUE = 0  # past a deadline, or a flag raised against the user's units
NOW = 10  # to do today
SOON = 20  # to do before the day ends, or to look at
INFO = 30  # the day's figures and ways in


@dataclass
class Action:
    """A button on an item: a link (GET), or a POST form with hidden ``fields`` (one tap)."""

    label: str
    url: str
    method: str = "get"
    fields: dict[str, Any] = field(default_factory=dict)
    primary: bool = False
    confirm: str = ""

    @property
    def hidden(self) -> list[tuple[str, Any]]:
        """The POST fields as (name, value) pairs, a list value giving one pair per element."""
        pairs: list[tuple[str, Any]] = []
        for name, value in self.fields.items():
            pairs += [(name, v) for v in value] if isinstance(value, list | tuple) else [(name, value)]
        return pairs


@dataclass
class Row:
    """One line under an item (a unit, a person, a shift), with what to do about it."""

    text: str
    hint: str = ""
    url: str = ""
    badge: str = ""
    badge_class: str = ""
    actions: list[Action] = field(default_factory=list)


@dataclass
class Item:
    key: str
    title: str
    urgency: int = NOW
    count: int | None = None
    url: str = ""
    hint: str = ""
    state: str = ""  # "", "ok", "warn", "bad": the colour of the count
    rows: list[Row] = field(default_factory=list)
    rows_title: str = ""
    more: int = 0  # rows not shown under the item (the list at ``url`` has them all)
    actions: list[Action] = field(default_factory=list)
    figures: list[tuple[str, Any]] = field(default_factory=list)
    order: int = 0  # ties in urgency: the order the sources give


@dataclass
class Desk:
    """Whose workbench, on which business day and at which business moment."""

    user: Any
    today: dt.date
    now: dt.datetime

    @property
    def role(self) -> str:
        return str(getattr(self.user, "role", ""))


Source = Callable[[Desk], list[Item]]
SOURCES: dict[str, Source] = {}


def desk_for(user: Any) -> Desk:
    return Desk(user=user, today=clock.today(), now=clock.now())


def items_for(user: Any, desk: Desk | None = None) -> list[Item]:
    """Every source's items for the user, most urgent first."""
    desk = desk or desk_for(user)
    items: list[Item] = []
    for source in SOURCES.values():
        for position, item in enumerate(source(desk)):
            item.order = len(items) + position
            items.append(item)
    return sorted(items, key=lambda item: (item.urgency, item.order))


def url_if(name: str, *args: Any, query: str = "") -> str:
    """The URL of a named page, or "" when that page is not installed (a later line's page)."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url


def command_url() -> str:
    """The command picture's page (指挥调度), when that page is installed."""
    from django.urls import Resolver404, resolve

    try:
        resolve("/command/")
    except Resolver404:
        return ""
    return "/command/"


def admin_items(desk: Desk) -> list[Item]:
    """The three administrator duties keep their own pages, and see no personal data here."""
    from django.utils.translation import gettext as _

    from fangkong.accounts.roles import Role

    pages: dict[str, list[tuple[str, str, str, str]]] = {
        Role.SYSTEM_ADMIN: [
            ("admin-tree", _("Organisation tree"), "orgs:unit_tree",
             _("Add, move or close units; the tree every scope is read from.")),
            ("admin-users", _("User accounts"), "accounts:user_list", _("Create accounts and switch them off.")),
        ],
        Role.SECURITY_ADMIN: [
            ("admin-grants", _("Roles, scopes and locked accounts"), "accounts:user_list",
             _("Grant roles and scopes, unlock accounts, revoke API tokens.")),
            ("admin-tokens", _("API tokens"), "accounts:token_admin", _("Every API token, and who holds it.")),
        ],
        Role.AUDITOR: [
            ("admin-audit", _("Audit log"), "audit:entry_list", _("Who did what, when, to which record.")),
        ],
    }
    out = []
    for key, title, name, hint in pages.get(desk.role, []):
        url = url_if(name)
        if url:
            out.append(Item(key=key, title=title, url=url, hint=hint, urgency=INFO,
                            actions=[Action(_("Open"), url, primary=True)]))
    return out


def office_items(desk: Desk) -> list[Item]:
    """The office's figures for the day, inside its scope (the command picture expands them)."""
    from django.utils.translation import gettext as _

    from fangkong.accounts.roles import Role

    from .stats import scoped_counts

    if desk.role != Role.COMMITTEE_OFFICE:
        return []
    counts = scoped_counts(desk.user, desk.today)
    item = Item(
        key="office-figures", title=_("The city today"), urgency=INFO,
        figures=[(_("Departments"), counts["departments"]), (_("Industry units"), counts["industry_units"]),
                 (_("Party branches"), counts["branches"]), (_("Streets"), counts["streets"]),
                 (_("Communities"), counts["communities"]), (_("Checkpoints"), counts["checkpoints"]),
                 (_("People"), counts["people"]), (_("Cadres"), counts["cadres"]),
                 (_("Party members"), counts["party_members"])],
    )
    command = command_url()
    if command:
        item.url = command
        item.actions = [Action(_("Command picture"), command, primary=True)]
    return [item]
