"""Reads of the notification app: who answers for a unit, a user's inbox, the failures page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role

from .choices import DeliveryKind, DeliveryStatus, MessageKind
from .models import Delivery

# Roles that answer for a unit's work. Administrators, inspection groups and the discipline office
# oversee rather than answer, and receive no reminders.
RESPONSIBLE_ROLES = (
    Role.COMMITTEE_OFFICE, Role.UNIT_LIAISON, Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF, Role.CHECKPOINT_STAFF,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from fangkong.orgs.models import Unit


def responsible_user_ids(units: Iterable[Unit]) -> dict[int, set[int]]:
    """The people who answer for each unit: the accounts of its designated liaison (专人) and
    every account whose scope is set on this very unit (not merely above it: the office sees the
    whole tree but does not answer for each branch). The working committee and the city are
    answered for by the committee office accounts whose scope covers them. Only
    ``RESPONSIBLE_ROLES`` count. Four queries whatever the number of units."""
    from fangkong.accounts.models import UserScope
    from fangkong.orgs.choices import UnitKind
    from fangkong.orgs.models import UnitLink

    units = list(units)
    ids = [u.pk for u in units]
    answer: dict[int, set[int]] = defaultdict(set)
    eligible = Q(user__is_active=True, user__role__in=RESPONSIBLE_ROLES)
    for user_id, unit_id in UserScope.objects.filter(eligible, unit_id__in=ids).values_list("user_id", "unit_id"):
        answer[unit_id].add(user_id)
    liaisons: dict[int, list[int]] = defaultdict(list)
    for unit in units:
        if unit.liaison_id:
            liaisons[unit.liaison_id].append(unit.pk)
    if liaisons:
        accounts = User.objects.filter(person_id__in=liaisons, is_active=True, role__in=RESPONSIBLE_ROLES)
        for user_id, person_id in accounts.values_list("id", "person_id"):
            for unit_id in liaisons[person_id]:
                answer[unit_id].add(user_id)
    top = [u.pk for u in units if u.kind in (UnitKind.WORKING_COMMITTEE, UnitKind.CITY)]
    if top:
        above: dict[int, list[int]] = defaultdict(list)
        for ancestor, descendant in UnitLink.objects.filter(descendant_id__in=top).values_list(
            "ancestor_id", "descendant_id"
        ):
            above[ancestor].append(descendant)
        office = UserScope.objects.filter(
            unit_id__in=above, user__is_active=True, user__role=Role.COMMITTEE_OFFICE
        ).values_list("user_id", "unit_id")
        for user_id, ancestor in office:
            for unit_id in above[ancestor]:
                answer[unit_id].add(user_id)
    return answer


def responsible_users(unit: Unit) -> QuerySet[User]:
    return User.objects.filter(pk__in=responsible_user_ids([unit]).get(unit.pk, set())).order_by("username")


# Missing units reported up the line: the office's "unread escalations".
ESCALATION_KINDS = (MessageKind.ESCALATION, MessageKind.ESCALATION_NEXT_DAY)


def inbox(user: User) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(user=user, kind=DeliveryKind.INAPP)
        .select_related("message", "message__unit").order_by("-id")
    )


def unread_count(user: User | AnonymousUser) -> int:
    if not user.is_authenticated:
        return 0
    return Delivery.objects.filter(user_id=user.pk, kind=DeliveryKind.INAPP, read_at__isnull=True).count()


def troubled_deliveries(user: User | AnonymousUser) -> QuerySet[Delivery]:
    """Deliveries the office must see: given up, or still retrying after an error."""
    return (
        Delivery.objects.visible_to(user)
        .filter(Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.PENDING, attempts__gt=0))
        .select_related("message", "message__unit", "channel")
    )
