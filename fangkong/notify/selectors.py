"""Reads of the notification app: who answers for a unit, a user's inbox, the failures page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role

from .choices import DeliveryKind, DeliveryStatus
from .models import Delivery

# Roles that answer for a unit's work. Administrators, inspection groups and the discipline office
# oversee rather than answer, and receive no reminders.
RESPONSIBLE_ROLES = (
    Role.COMMITTEE_OFFICE, Role.UNIT_LIAISON, Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF, Role.CHECKPOINT_STAFF,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from fangkong.orgs.models import Unit


def responsible_users(unit: Unit) -> QuerySet[User]:
    """The people who answer for a unit: the accounts of its designated liaison (专人) and every
    account whose scope is set on this very unit (not merely above it: the office sees the whole
    tree but does not answer for each branch). The working committee and the city are answered
    for by the committee office accounts whose scope covers them. Only ``RESPONSIBLE_ROLES`` count."""
    from fangkong.orgs.choices import UnitKind
    from fangkong.orgs.models import UnitLink

    query = Q(scopes__unit_id=unit.pk)
    if unit.liaison_id:
        query |= Q(person_id=unit.liaison_id)
    if unit.kind in (UnitKind.WORKING_COMMITTEE, UnitKind.CITY):
        above = UnitLink.objects.filter(descendant_id=unit.pk).values("ancestor_id")
        query |= Q(role=Role.COMMITTEE_OFFICE, scopes__unit_id__in=above)
    return (
        User.objects.filter(query, is_active=True, role__in=RESPONSIBLE_ROLES).distinct().order_by("username")
    )


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
