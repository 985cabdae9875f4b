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
    for name, source in SOURCES.items():
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
