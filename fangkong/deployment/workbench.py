"""The cadres-down line's to-do items on the workbench: today's shifts at the user's checkpoints
(the one on now, with its check-ins), the shifts short of staff, and today's no-shows."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Role
from fangkong.core.scoping import user_has_perm
from fangkong.core.workbench import NOW, OVERDUE, SOON, Action, Desk, Item, Row
from fangkong.returnees.selectors import end_of_day

from . import selectors
from .models import Assignment, Shift

ROWS = 5
ROSTER_ROLES = {Role.COMMUNITY_STAFF, Role.CHECKPOINT_STAFF, Role.COMMITTEE_OFFICE}


_M = TypeVar("_M", Shift, Assignment)


def _of_day(qs: QuerySet[_M], day: dt.date) -> QuerySet[_M]:
    """What starts on ``day`` (the rosters' filter: a night shift belongs to the day it starts)."""
    return qs.filter(starts_at__gte=end_of_day(day - dt.timedelta(days=1)), starts_at__lt=end_of_day(day))


def _hm(moment: dt.datetime, now: dt.datetime, *, end: bool = False) -> str:
    local = moment.astimezone(now.tzinfo)
    # A shift that ends at midnight ends at 24:00 of its day, not at 00:00.
    return "24:00" if end and local.time() == dt.time(0) else local.strftime("%H:%M")


def current_shift_item(desk: Desk) -> Item | None:
    """A checkpoint officer's shift on now (or the next one today), its cadres and their check-ins."""
    user = desk.user
    shifts = _of_day(Shift.objects.visible_to(user), desk.today)  # type: ignore[attr-defined]
    shift = (shifts.filter(starts_at__lte=desk.now + dt.timedelta(hours=1), ends_at__gt=desk.now)
             .order_by("starts_at").first()
             or shifts.filter(starts_at__gt=desk.now).order_by("starts_at").first())
    if shift is None:
        return None
    assignments = list(shift.assignments.select_related("person").order_by("person__name_initials", "id"))
    waiting = [a for a in assignments if a.checked_in_at is None]
    detail = reverse("deployment:shift_detail", args=[shift.pk])
    item = Item(
        key="deployment-shift-now",
        title=_("Your shift: %(checkpoint)s %(start)s–%(end)s") % {
            "checkpoint": shift.checkpoint.display_name, "start": _hm(shift.starts_at, desk.now),
            "end": _hm(shift.ends_at, desk.now, end=True)},
        count=len(assignments), url=detail, urgency=NOW if waiting else SOON,
        state="warn" if waiting else "ok",
        hint=_("%(done)d of %(all)d cadres checked in") % {"done": len(assignments) - len(waiting),
                                                            "all": len(assignments)},
    )
    checks = user_has_perm(user, "deployment.checkin")
    for a in assignments:
        row = Row(text=a.person.name, badge=_("Checked in %(at)s") % {"at": _hm(a.checked_in_at, desk.now)}
                  if a.checked_in_at else _("Not checked in"), badge_class="ok" if a.checked_in_at else "warn")
        if a.checked_in_at is None and checks:
            row.actions = [Action(_("Check in"), detail, method="post", primary=True,
                                  fields={"action": "check_in", "assignment": a.pk})]
        item.rows.append(row)
    return item


def items(desk: Desk) -> list[Item]:
    user = desk.user
    if desk.role not in ROSTER_ROLES or not user_has_perm(user, "deployment.view"):
        return []
    out: list[Item] = []
    if desk.role == Role.CHECKPOINT_STAFF:
        current = current_shift_item(desk)
        if current is not None:
            out.append(current)
    day = desk.today.isoformat()
    rosters = reverse("deployment:shift_list")
    shifts = _of_day(selectors.shifts_with_staffing(Shift.objects.visible_to(user)), desk.today)  # type: ignore[attr-defined]
    assignments = _of_day(Assignment.objects.visible_to(user), desk.today)  # type: ignore[attr-defined]
    if desk.role != Role.CHECKPOINT_STAFF:
        n_shifts = shifts.count()
        out.append(Item(
            key="deployment-shifts", title=_("Shifts today at your checkpoints"), count=n_shifts,
            url=f"{rosters}?day={day}", urgency=SOON, state="",
            figures=[(_("Cadres rostered"), assignments.count()),
                     (_("Checked in"), assignments.filter(checked_in_at__isnull=False).count())],
        ))
        gaps = shifts.filter(gap__gt=0).count()  # type: ignore[misc]  # annotated by shifts_with_staffing
        if gaps:
            out.append(Item(
                key="deployment-gaps", title=_("Shifts short of staff today"), count=gaps,
                url=f"{rosters}?day={day}&gaps=true", urgency=NOW, state="warn",
                hint=_("Put cadres on them from the shift's page."),
            ))
    no_shows = selectors.no_shows_on(Assignment.objects.visible_to(user), desk.today, desk.now)  # type: ignore[attr-defined]
    n = no_shows.count()
    item = Item(
        key="deployment-no-shows", title=_("No-shows today"), count=n,
        url=f"{reverse('deployment:no_shows')}?day={day}", state="bad" if n else "ok",
        urgency=OVERDUE if n else SOON + 1,
        hint=_("Cadres on a shift that began without them: call them, or put someone else on the shift."),
    )
    if desk.role != Role.COMMITTEE_OFFICE:
        for a in no_shows.order_by("starts_at", "id")[:ROWS]:
            item.rows.append(Row(text=a.person.name, hint=f"{a.checkpoint.display_name} {_hm(a.starts_at, desk.now)}",
                                 url=reverse("deployment:shift_detail", args=[a.shift_id])))
        item.more = max(n - ROWS, 0)
    out.append(item)
    return out
