"""The command picture as of a moment: each line's panel, its change since the day before and
its trend. A moment of a closed day is read from its snapshot (``snapshots``: computed once,
deleted when a record that could change it is written); a moment of today is always computed."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.core.scoping import scope_unit_ids, user_has_perm

from . import snapshots
from .registry import CONTRIBUTIONS, AsOf, Line, Panel, end_of_day, lines, sharing

TREND_DAYS = 7


def parse_as_of(value: str | None) -> dt.datetime:
    """A moment from a query string: an ISO date and time (local when it has no offset), or a
    date (its end, 24:00); nothing or a date from today on is the business clock's now."""
    now = clock.now()
    if not value:
        return now
    value = value.strip().replace(" ", "+") if "T" in value else value.strip()
    # A date alone is a day (its end); parse_datetime would read it as that day's midnight.
    day = parse_date(value) if len(value) == 10 else None
    if day is not None:
        return end_of_day(day) if day < clock.today() else now
    moment = parse_datetime(value)
    if moment is None:
        raise ValueError(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.replace(microsecond=0)


def visible_lines(user: Any) -> list[Line]:
    """The lines the user sees: those whose app the role may read, and every placeholder."""
    return [line for line in lines() if not line.enabled or user is SYSTEM or user_has_perm(user, line.perm)]


def _digest(ids: list[int] | None) -> str:
    return hashlib.sha256(repr(sorted(ids) if ids is not None else "all").encode()).hexdigest()[:16]


# The digest of a scope that covers every unit.
ALL_UNITS = _digest(None)


def scope_key(user: Any) -> str:
    if user is SYSTEM:
        return "city"
    return f"{user.role}:{_digest(scope_unit_ids(user))}"


def compute(line: Line, as_of: AsOf) -> Panel:
    """The line's panel with what other apps contribute to it."""
    assert line.panel is not None
    panel = line.panel(as_of)
    for contribution in CONTRIBUTIONS.get(line.key, []):
        figures, alerts = contribution(as_of)
        panel.figures.extend(figures)
        panel.alerts.extend(alerts)
    return panel


def serialise(panel: Panel) -> dict[str, Any]:
    """A panel as the picture shows it and a snapshot keeps it (JSON)."""
    return {
        "figures": [{"key": f.key, "label": str(f.label), "value": f.value, "unit": str(f.unit), "is_rate": f.is_rate,
                     "list_url": f.list_url, "api_url": f.api_url, "denominator_api_url": f.denominator_api_url,
                     "denominator_list_url": f.denominator_list_url} for f in panel.figures],
        "alerts": [{"text": str(a.text), "url": a.url, "level": a.level} for a in panel.alerts],
        "text": str(panel.text), "headline": panel.headline,
        "breakdown": [{"label": str(label), "text": str(text), "url": link} for label, text, link in panel.breakdown],
    }


def panels(lines_: list[Line], user: Any, moments: list[dt.datetime], today: dt.date) -> dict[tuple[str, dt.datetime], dict[str, Any]]:
    """Each enabled line's panel (serialised) at each moment: a moment of a closed day (before
    ``today``) from its snapshot, computed and kept on the first use; any other moment computed."""
    enabled = [line for line in lines_ if line.panel is not None]
    scope, language = scope_key(user), get_language() or ""
    closed = [m for m in dict.fromkeys(moments) if snapshots.business_day(m) < today]
    found = snapshots.read(scope, language, closed, [line.key for line in enabled])
    for data in found.values():
        for figure in data["figures"]:
            if figure["is_rate"]:
                figure["value"] = float(figure["value"])
    kept = []
    with sharing():
        # Oldest first: a day's end builds on the day before's (kept a moment earlier).
        for moment in sorted(dict.fromkeys(moments)):
            for line in enabled:
                if (line.key, moment) in found:
                    continue
                with snapshots.reading() as tables:
                    data = serialise(compute(line, AsOf(user, moment)))
                found[line.key, moment] = data
                if moment in closed:
                    kept.append((line.key, scope, language, moment, tables, data))
    snapshots.store(kept)
    return found


def line_picture(line: Line, as_of: AsOf, found: dict[tuple[str, dt.datetime], dict[str, Any]],
                 days: list[dt.date] | None) -> dict[str, Any]:
    if line.panel is None:
        return {"key": line.key, "title": str(line.title), "enabled": False, "figures": [], "alerts": [],
                "text": "", "headline": "", "trend": None, "breakdown": []}
    panel = found[line.key, as_of.at]
    previous: dict[str, int | float] = {}
    trend = None
    if days:
        past = {day: {f["key"]: f["value"] for f in found[line.key, end_of_day(day)]["figures"]} for day in days}
        previous = past[days[-1]]
        current = {f["key"]: f["value"] for f in panel["figures"]}
        headline = panel["headline"]
        trend = {
            "days": [d.strftime("%m-%d") for d in days]
            + [str(_("today")) if as_of.at < end_of_day(as_of.day) else as_of.day.strftime("%m-%d")],
            "values": [past[d].get(headline, 0) for d in days] + [current.get(headline, 0)],
        }
    figures = []
    for f in panel["figures"]:
        before = previous.get(f["key"])
        change = None if before is None else (round(f["value"] - before, 4) if f["is_rate"] else int(f["value"] - before))
        figures.append({**f, "change": change})
    return {
        "key": line.key, "title": str(line.title), "enabled": True, "figures": figures,
        "alerts": panel["alerts"], "text": panel["text"], "headline": panel["headline"], "trend": trend,
        "breakdown": panel["breakdown"],
    }


def picture(user: Any, at: dt.datetime, *, history: bool = True) -> dict[str, Any]:
    """Every visible line as of ``at`` for ``user`` (``SYSTEM``: the whole city), with the
    change since the end of the day before and the trend of the days before (``history``)."""
    as_of = AsOf(user, at)
    today = clock.today()
    shown = visible_lines(user)
    days = [as_of.day - dt.timedelta(days=i) for i in range(TREND_DAYS - 1, 0, -1)] if history else None
    found = panels(shown, user, [at, *(end_of_day(day) for day in days or [])], today)
    return {"as_of": as_of.at, "day": as_of.day,
            "lines": [line_picture(line, as_of, found, days) for line in shown]}


def unit_lists(line: Line, figure: str, as_of: AsOf) -> list[tuple[str, QuerySet[Any]]]:
    if figure not in line.unit_lists:
        raise KeyError(figure)
    return line.unit_lists[figure](as_of)


def readers() -> list[Any]:
    """The whole city and one reader of the picture per role and scope (whose panels differ)."""
    from fangkong.accounts.models import User

    found: dict[str, Any] = {"city": SYSTEM}
    for user in User.objects.filter(is_active=True).order_by("id"):
        if user_has_perm(user, "command.view"):
            found.setdefault(scope_key(user), user)
    return list(found.values())


def precompute(days: list[dt.date], users: list[Any] | None = None) -> int:
    """Keep the snapshots of the end of each closed day in ``days`` for every reader ahead of the
    first request (the day-close job); those kept already are read, not computed. Returns the
    number of readers."""
    from django.conf import settings
    from django.utils import translation

    today = clock.today()
    moments = [end_of_day(day) for day in days if day < today]
    users = readers() if users is None else users
    with translation.override(settings.LANGUAGE_CODE):
        for user in users:
            panels(visible_lines(user), user, moments, today)
    return len(users)
