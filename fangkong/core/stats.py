"""The platform's key figures, one function per block. ``fangkong stats`` prints them as JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from . import clock


def as_of_default() -> dt.date:
    """The date pages open on: the business clock's today."""
    return clock.today()


def org_block(as_of: dt.date) -> dict[str, int]:
    from fangkong.accounts.models import User
    from fangkong.orgs.choices import UnitKind as K
    from fangkong.orgs.selectors import unit_counts_by_kind
    from fangkong.people.models import Person

    counts = unit_counts_by_kind(as_of)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone())
    return {
        "departments": counts[K.DEPARTMENT],
        "coordinating_bodies": counts[K.COORDINATING_BODY],
        "industry_units": counts[K.INDUSTRY_UNIT],
        "streets": counts[K.STREET],
        "communities": counts[K.COMMUNITY],
        "checkpoints": counts[K.CHECKPOINT],
        "cadres": Person.objects.filter(is_cadre=True, is_active=True).count(),
        "users": User.objects.filter(is_active=True).filter(Q(date_joined__lt=end)).count(),
    }


BLOCKS: dict[str, Callable[[dt.date], Any]] = {"org": org_block}


# Blocks that can count over a range [since, as_of] take ``since`` as a keyword; the others
# always count as of the one date.
RANGE_BLOCKS: set[str] = set()


def collect(as_of: dt.date, since: dt.date | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"as_of": as_of.isoformat()}
    if since is not None:
        result["from"] = since.isoformat()
    for name, block in BLOCKS.items():
        result[name] = block(as_of, since=since) if name in RANGE_BLOCKS else block(as_of)  # type: ignore[call-arg]
    return result


def scoped_counts(user: Any, as_of: dt.date) -> dict[str, int]:
    """Figures for the home page, inside the user's scope."""
    from fangkong.orgs.choices import UnitKind as K
    from fangkong.orgs.selectors import units_open_on
    from fangkong.people.models import Person

    units = units_open_on(as_of).visible_to(user)  # type: ignore[attr-defined]
    by_kind = {k: 0 for k in K.values}
    by_kind.update({row["kind"]: row["n"] for row in units.values("kind").annotate(n=Count("id"))})
    people = Person.objects.visible_to(user)
    return {
        "departments": by_kind[K.DEPARTMENT],
        "industry_units": by_kind[K.INDUSTRY_UNIT],
        "branches": by_kind[K.BRANCH],
        "streets": by_kind[K.STREET],
        "communities": by_kind[K.COMMUNITY],
        "checkpoints": by_kind[K.CHECKPOINT],
        "people": people.count(),
        "cadres": people.filter(is_cadre=True).count(),
        "party_members": people.filter(is_party_member=True).count(),
    }
