"""The command picture's registry: one entry per dispatch line (六线调度), each contributed by the
app that owns the line from its own ``command.py`` (found at start-up, the way ``stats`` blocks
are). A line registered without a panel is shown as not in service yet (未启用), never as zeros.

A panel is computed for one ``AsOf``: a user (their scope; ``SYSTEM`` for the whole city) and a
moment. Every figure names the list it counts: ``api_url`` answers a list whose ``count`` is the
figure; a rate names the list of its numerator (``api_url``) and of its denominator
(``denominator_api_url``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone

from fangkong.core.actors import SYSTEM


@dataclass(frozen=True)
class AsOf:
    """Whose picture and when: figures count the records as they stood at ``at``."""

    user: Any
    at: dt.datetime

    @property
    def day(self) -> dt.date:
        """The business day the moment belongs to; 24:00 belongs to the day that ends then."""
        return timezone.localtime(self.at - dt.timedelta(microseconds=1)).date()

    @property
    def iso(self) -> str:
        return timezone.localtime(self.at).isoformat()

    @property
    def is_city(self) -> bool:
        return self.user is SYSTEM

    def scoped(self, model: type[Model]) -> QuerySet[Any]:
        return model.objects.visible_to(self.user)  # type: ignore[attr-defined]

    def moved(self, at: dt.datetime) -> AsOf:
        return AsOf(self.user, at)

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value several panels of one picture read (one grouped query serving two lines):
        computed once per picture for this user and moment; outside a picture, computed each
        time. ``key`` names the value (prefix it with the app's label)."""
        memo = _SHARED.get()
        if memo is None:
            return compute()
        from . import snapshots

        slot = (key, id(self.user), self.at)
        if slot not in memo:
            with snapshots.reading() as tables:
                value = compute()
            memo[slot] = (value, set(tables))
        value, tables = memo[slot]
        snapshots.note(tables)
        return value


_SHARED: ContextVar[dict[Any, Any] | None] = ContextVar("command_shared", default=None)


@contextmanager
def sharing() -> Iterator[None]:
    """The span of one picture: values computed with ``AsOf.shared`` are computed once in it."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone())


def url(name_or_path: str, **params: Any) -> str:
    """A link with its query string; ``name_or_path`` is a URL name or an absolute path."""
    path = name_or_path if name_or_path.startswith("/") else reverse(name_or_path)
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{path}?{query}" if query else path


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int | float
    list_url: str
    api_url: str
    unit: str = ""
    denominator_api_url: str | None = None
    denominator_list_url: str | None = None

    @property
    def is_rate(self) -> bool:
        return isinstance(self.value, float)


@dataclass(frozen=True)
class Alert:
    text: str
    url: str = ""
    level: str = "warn"


@dataclass
class Panel:
    figures: list[Figure]
    alerts: list[Alert] = field(default_factory=list)
    # The figure drawn as the trend.
    headline: str = ""
    # One sentence for the daily briefing, in the language of the request.
    text: str = ""
    # A small table under the figures (the industry line by coordinating body): label, text, link.
    breakdown: list[tuple[str, str, str]] = field(default_factory=list)


# A drill-down list: labelled groups of units (a report template's missing units, say).
UnitLists = list[tuple[str, QuerySet[Any]]]


@dataclass(frozen=True)
class Line:
    key: str
    title: Any
    order: int
    perm: str = ""
    panel: Callable[[AsOf], Panel] | None = None
    # Unit lists behind figures that count units: figure key -> lists.
    unit_lists: Mapping[str, Callable[[AsOf], UnitLists]] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.panel is not None


LINES: dict[str, Line] = {}
# Figures and alerts another app adds to a line it does not own (the daily reports add the
# industry units that did not report today to the industry line): line key -> contributions.
Contribution = Callable[[AsOf], tuple[list[Figure], list[Alert]]]
CONTRIBUTIONS: dict[str, list[Contribution]] = {}


def contribute(line_key: str, contribution: Contribution) -> None:
    CONTRIBUTIONS.setdefault(line_key, []).append(contribution)


def register(line: Line) -> None:
    """Add or replace a line (an app that builds a line replaces its placeholder)."""
    LINES[line.key] = line


def lines() -> list[Line]:
    return sorted(LINES.values(), key=lambda line: (line.order, line.key))


def unit_list_urls(line: str, figure: str, as_of: AsOf) -> tuple[str, str]:
    """The page and the API answer listing the units a unit-count figure counts."""
    return (
        url(reverse("command:unit_list", args=[line, figure]), as_of=as_of.iso),
        url(f"/api/v1/command/units/{line}/{figure}", as_of=as_of.iso),
    )
