"""The returnee ledger's to-do items on the workbench: people registered on one side only (a unit's
staff the community has not registered; a community's residents no unit has matched), today's
follow-ups still to do, isolations ending today, concealment suspects and attribution conflicts."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Role
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.core.workbench import NOW, OVERDUE, SOON, Action, Desk, Item, Row

from . import selectors
from .choices import ConflictStatus
from .filtersets import last_day_q
from .models import IsolationOrder, Returnee

ROWS = 5
UNIT_ONLY = Q(unit_reported_at__isnull=False, community_reported_at__isnull=True)
COMMUNITY_ONLY = Q(community_reported_at__isnull=False, unit_reported_at__isnull=True)
SUSPECT = COMMUNITY_ONLY & Q(unit__isnull=False)


def _ledger(query: str) -> str:
    return f"{reverse('returnees:returnee_list')}?{query}"


def _people_rows(qs: object, *, hint_community: bool = True) -> list[Row]:
    rows = []
    for r in qs[:ROWS]:  # type: ignore[index]
        place = r.community if hint_community else r.unit
        rows.append(Row(text=r.name, url=r.get_absolute_url(), hint=place.display_name if place else ""))
    return rows


def one_side_items(desk: Desk) -> list[Item]:
    user = desk.user
    if not user_has_perm(user, "returnees.view"):
        return []
    people = Returnee.objects.visible_to(user)  # type: ignore[attr-defined]
    items: list[Item] = []
    if desk.role == Role.UNIT_LIAISON:
        qs = people.filter(UNIT_ONLY).select_related("community").order_by("unit_reported_at", "id")
        n = qs.count()
        items.append(Item(
            key="returnees-unit-only", title=_("Your people not yet registered by their community"), count=n,
            url=_ledger("dual=unit_only"), state="warn" if n else "ok", urgency=NOW if n else SOON,
            hint=_("Dual reporting: each returnee must also register with the community where they live. "
                   "Tell them to do it today."),
            rows=_people_rows(qs), more=max(n - ROWS, 0),
        ))
    if desk.role == Role.COMMUNITY_STAFF:
        qs = people.filter(COMMUNITY_ONLY).select_related("unit").order_by("community_reported_at", "id")
        n = qs.count()
        items.append(Item(
            key="returnees-community-only", title=_("Registrations waiting to be matched by a unit"), count=n,
            url=_ledger("dual=community_only"), state="warn" if n else "ok", urgency=NOW if n else SOON,
            hint=_("Residents you registered whom no unit has reported yet: check the employer named."),
            rows=_people_rows(qs, hint_community=False), more=max(n - ROWS, 0),
        ))
    if desk.role in {Role.INSPECTION_GROUP, Role.DISCIPLINE_OFFICE, Role.COMMITTEE_OFFICE}:
        n = people.filter(SUSPECT).count()
        items.append(Item(
            key="returnees-suspects", title=_("Concealment suspects"), count=n, url=_ledger("suspect=true"),
            state="bad" if n else "ok", urgency=NOW if n else SOON,
            hint=_("A community registered the person and named the employer; the employer has not reported them."),
        ))
    if user_has_perm(user, "returnees.resolve"):
        n = selectors.conflicts_visible_to(user).filter(status=ConflictStatus.OPEN).count()
        if n:
            items.append(Item(
                key="returnees-conflicts", title=_("Attribution conflicts to decide"), count=n,
                url=f"{reverse('returnees:conflict_list')}?status=open", state="warn", urgency=NOW,
                hint=_("A person claimed by two units or communities: decide where they belong."),
            ))
    return items


def isolation_items(desk: Desk) -> list[Item]:
    user = desk.user
    if not user_has_perm(user, "returnees.view") or desk.role not in {
            Role.UNIT_LIAISON, Role.COMMUNITY_STAFF, Role.COMMITTEE_OFFICE}:
        return []
    day = desk.today
    orders = IsolationOrder.objects.visible_to(user)  # type: ignore[attr-defined]
    todo = selectors.follow_up_list(orders, day).filter(done=False)  # type: ignore[misc]  # annotated
    n = todo.count()
    does = user_has_perm(user, "returnees.followup")
    followups = Item(
        key="returnees-followups", title=_("Follow-ups still to do today"), count=n,
        url=f"{reverse('returnees:followup_today')}?day={day.isoformat()}&done=no",
        state="warn" if n else "ok", urgency=NOW if n else SOON,
        hint=_("People in home isolation: take today's temperature and record it.") if does
        else _("Your people in home isolation whose community has not recorded today's check yet."),
    )
    if does and scope_unit_ids(user) is not None:
        for order in todo[:ROWS]:
            community = order.returnee.community
            followups.rows.append(Row(
                text=order.returnee.name, hint=community.display_name if community else "",
                url=order.returnee.get_absolute_url(),
                actions=[Action(_("Record"), f"{reverse('returnees:followup_today')}?day={day.isoformat()}&done=no",
                                primary=True)],
            ))
        followups.more = max(n - ROWS, 0)
    items = [followups]
    if desk.role == Role.COMMUNITY_STAFF or desk.role == Role.COMMITTEE_OFFICE:
        ending = Returnee.objects.visible_to(user).filter(last_day_q(day))  # type: ignore[attr-defined]
        ending = ending.select_related("community").order_by("name", "id")
        n_end = ending.count()
        item = Item(
            key="returnees-ending", title=_("Isolations ending today"), count=n_end,
            url=_ledger(f"last_day={day.isoformat()}"), state="" if n_end else "ok",
            urgency=SOON if n_end else SOON + 1,
            hint=_("Today is their last day: release them tomorrow morning after the last check, or extend."),
        )
        if scope_unit_ids(user) is not None:
            item.rows = _people_rows(ending)
            item.more = max(n_end - ROWS, 0)
        items.append(item)
    if n and not does:
        followups.urgency = SOON
    if desk.role == Role.COMMITTEE_OFFICE and n:
        followups.urgency = OVERDUE if desk.now.hour >= 18 else NOW
    return items


def items(desk: Desk) -> list[Item]:
    return one_side_items(desk) + isolation_items(desk)
