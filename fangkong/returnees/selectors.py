"""Reads of the ledger: dual-report figures as of a moment, who must still act, concealment
suspects, isolation and follow-up lists. All take an already scoped queryset."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, When
from django.utils import timezone

from fangkong.core.fieldcrypt import unseal
from fangkong.core.scoping import scope_unit_ids, user_has_perm

from .choices import ConflictStatus
from .models import AttributionConflict, FollowUp, IsolationOrder, Registration, Returnee

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from fangkong.accounts.models import User


def end_of_day(day: dt.date) -> dt.datetime:
    """The moment a day ends in the platform's time zone: "as of 10 Feb" counts what was
    registered before 11 Feb 00:00 Asia/Shanghai."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone())


def _filters(moment: dt.datetime) -> dict[str, Q]:
    unit = Q(unit_reported_at__lt=moment)
    community = Q(community_reported_at__lt=moment)
    no_unit = Q(unit_reported_at__isnull=True) | Q(unit_reported_at__gte=moment)
    no_community = Q(community_reported_at__isnull=True) | Q(community_reported_at__gte=moment)
    return {
        "returnees": unit | community,
        "dual_reported": unit & community,
        "unit_only": unit & no_community,
        "community_only": community & no_unit,
        # A community named the employer, and the employer has not reported the person.
        "concealment_suspects": community & no_unit & Q(unit__isnull=False),
    }


def dual_figures(qs: QuerySet[Returnee], moment: dt.datetime) -> dict[str, Any]:
    """Dual-report counts and rate = both sides ÷ all registered, as of ``moment``.

    Four counts in one pass (unit side, community side, both, suspects) and the rest derived:
    on 1,000,000 persons this is an index-only scan of ``returnee_dual_cover``.
    """
    unit, community = Q(unit_reported_at__lt=moment), Q(community_reported_at__lt=moment)
    counts = qs.aggregate(
        # Counted on indexed columns (never null under their filters), not on the id, which the
        # covering index does not hold.
        n_unit=Count("unit_reported_at", filter=unit),
        n_community=Count("community_reported_at", filter=community),
        n_both=Count("unit_reported_at", filter=unit & community),
        n_suspects=Count("community_reported_at", filter=_filters(moment)["concealment_suspects"]),
    )
    both = counts["n_both"]
    figures: dict[str, Any] = {
        "returnees": counts["n_unit"] + counts["n_community"] - both,
        "dual_reported": both,
        "unit_only": counts["n_unit"] - both,
        "community_only": counts["n_community"] - both,
        "concealment_suspects": counts["n_suspects"],
    }
    figures["dual_report_rate"] = rate(both, figures["returnees"])
    return figures


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 1.0


def dual_by(qs: QuerySet[Returnee], moment: dt.datetime, field: str) -> list[dict[str, Any]]:
    """The same figures grouped by ``unit``, ``community``, ``coordinating_body`` or ``line``."""
    filters = _filters(moment)
    name = f"{field}__name" if field != "line" else "line"
    rows = (
        qs.filter(filters["returnees"])
        .values(field, name)
        .annotate(**{k: Count("id", filter=f) for k, f in filters.items()})
        .order_by(name)
    )
    result = []
    for row in rows:
        row["dual_report_rate"] = rate(row["dual_reported"], row["returnees"])
        key = row.pop(field)
        row["key"], row["label"] = key, (row.pop(name) if name != field else key)
        result.append(row)
    return result


def missing_side(qs: QuerySet[Returnee], moment: dt.datetime) -> QuerySet[Returnee]:
    """People registered on one side only, oldest first (the ones waiting longest)."""
    filters = _filters(moment)
    since = Case(When(unit_reported_at__lt=moment, then=F("unit_reported_at")), default=F("community_reported_at"))
    return (
        qs.filter(filters["unit_only"] | filters["community_only"])
        .select_related("unit", "community")
        .order_by(since, "id")
    )


def longest_waiting(qs: QuerySet[Returnee], moment: dt.datetime, n: int = 5) -> list[Returnee]:
    """``missing_side(qs, moment)[:n]`` read through the registration-time indexes: the first
    ``n`` registered on one side only (the partial indexes, in order), and the first ``n`` of
    those whose other side came at or after ``moment`` (found by that time, then sorted); then
    the first ``n`` of all of them. Fast when few people registered after ``moment`` (today)."""
    since = Case(When(unit_reported_at__lt=moment, then=F("unit_reported_at")), default=F("community_reported_at"))
    ways = [
        qs.filter(community_reported_at__isnull=True, unit_reported_at__lt=moment).order_by("unit_reported_at", "id"),
        qs.filter(unit_reported_at__isnull=True, community_reported_at__lt=moment).order_by("community_reported_at", "id"),
        qs.filter(Q(unit_reported_at__lt=moment, community_reported_at__gte=moment)
                  | Q(community_reported_at__lt=moment, unit_reported_at__gte=moment)).order_by(since, "id"),
    ]
    ids: set[int] = set()
    for way in ways:
        ids.update(way.values_list("id", flat=True)[:n])
    return list(missing_side(qs.filter(id__in=ids), moment)[:n]) if ids else []


def waiting_since(returnee: Returnee) -> dt.datetime | None:
    stamps = [s for s in (returnee.unit_reported_at, returnee.community_reported_at) if s is not None]
    return min(stamps) if stamps else None


def isolation_figures(qs: QuerySet[Returnee], day: dt.date) -> dict[str, int]:
    orders = IsolationOrder.objects.filter(returnee__in=qs.values("id"))
    active = Q(start_date__lte=day, planned_end__gt=day) & (Q(released_on__isnull=True) | Q(released_on__gt=day))
    return orders.aggregate(
        in_isolation=Count("id", filter=active),
        released=Count("id", filter=Q(released_on__lte=day)),
        ended=Count("id", filter=Q(planned_end__lte=day) & (Q(released_on__isnull=True) | Q(released_on__gt=day))),
    )


def orders_due(orders: QuerySet[IsolationOrder], day: dt.date) -> QuerySet[IsolationOrder]:
    """Isolations for which a follow-up is due on ``day`` (started, not ended, not released)."""
    return orders.filter(start_date__lte=day, planned_end__gt=day).filter(
        Q(released_on__isnull=True) | Q(released_on__gt=day)
    )


def follow_up_list(orders: QuerySet[IsolationOrder], day: dt.date) -> QuerySet[IsolationOrder]:
    """Today's list for community staff: every isolation due today, with whether it is done and
    how many earlier days are missing (overdue)."""
    done_today = FollowUp.objects.filter(order=OuterRef("pk"), day=day)
    return (
        orders_due(orders, day)
        .select_related("returnee", "returnee__community", "returnee__unit")
        .annotate(done=Exists(done_today), recorded=Count("follow_ups", filter=Q(follow_ups__day__lt=day)))
        .order_by("done", "returnee__community__name", "returnee__name")
    )


def overdue_days(order: IsolationOrder, recorded: int, day: dt.date) -> int:
    """Days before ``day`` that were due and have no follow-up."""
    last = min(order.last_day(), day - dt.timedelta(days=1))
    due = (last - order.start_date).days + 1 if last >= order.start_date else 0
    return max(due - recorded, 0)


def possible_duplicates(qs: QuerySet[Returnee], *, candidates: int = 5000) -> list[tuple[Returnee, Returnee]]:
    """Pairs with the same name and birth date but different ID numbers (a mistyped ID).

    The birth date is sealed in the ID number: the database finds people with the same name and
    birth year (at most ``candidates`` of them), and the dates are compared here, opened for the
    comparison only (the page shows masks)."""
    # One query however many groups there are (the list pages keep a fixed query count).
    twin = qs.filter(name=OuterRef("name"), birth_year=OuterRef("birth_year")).exclude(pk=OuterRef("pk"))
    groups: dict[tuple[str, str], list[Returnee]] = {}
    rows = qs.filter(Exists(twin)).select_related("unit", "community").order_by("name", "birth_year", "id")
    found = list(rows[:candidates])
    births = [number[6:14] for number in unseal([r.id_cipher for r in found], "id_number")]
    for returnee, birth in zip(found, births, strict=True):
        group = groups.setdefault((returnee.name, birth), [])
        if len(group) < 5:
            group.append(returnee)
    pairs = []
    for group in [group for group in groups.values() if len(group) > 1][:200]:
        pairs += [(group[0], other) for other in group[1:]]
    return pairs


def reported_by_several_units(qs: QuerySet[Returnee]) -> QuerySet[Returnee]:
    """People whose unit side has registrations from more than one unit that stand (a claim
    awaiting the office is not yet one)."""
    return qs.annotate(
        units=Count("registrations", filter=Q(registrations__side="unit") & ~Q(registrations__in=_pending()),
                    distinct=True)
    ).filter(units__gt=1)


# ---- attribution conflicts -------------------------------------------------------------


def _pending() -> QuerySet[AttributionConflict, int]:
    """The ids of the registrations whose claim awaits the office."""
    return AttributionConflict.objects.filter(
        status=ConflictStatus.OPEN, claiming_registration__isnull=False
    ).values_list("claiming_registration_id", flat=True)


def standing(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """The registrations that are the person's: all but a claim still awaiting the office, which
    only the claimant (on its claim) and the office (on the conflict) see."""
    return registrations.exclude(pk__in=_pending())


def conflicts_visible_to(user: User | AnonymousUser) -> QuerySet[AttributionConflict]:
    """The office (who may resolve) sees every conflict in its scope, holder and claimant alike;
    anyone else sees only its own claims: never who holds the person or what they hold."""
    qs = AttributionConflict.objects.visible_to(user)
    if user_has_perm(user, "returnees.resolve"):
        return qs
    units = scope_unit_ids(user)  # type: ignore[arg-type]
    return qs if units is None else qs.filter(claiming_unit_id__in=units)


def open_conflicts(returnee: Returnee) -> QuerySet[AttributionConflict]:
    return returnee.conflicts.filter(status=ConflictStatus.OPEN)
