"""The supervision line's to-do items on the workbench: a community's feedback for today, the
explanation requests addressed to the user's unit, the group's problems and cases by deadline.
Every count links to the list it counts."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Role
from fangkong.core.scoping import user_has_perm
from fangkong.core.workbench import NOW, OVERDUE, SOON, Desk, Item

from . import selectors
from .choices import CaseStatus
from .models import Coverage, ExplanationRequest, Feedback, Investigation, Problem


def items(desk: Desk) -> list[Item]:
    user = desk.user
    if not user_has_perm(user, "supervision.view"):
        return []
    out: list[Item] = []
    day = desk.today.isoformat()
    if desk.role == Role.COMMUNITY_STAFF and user_has_perm(user, "supervision.feedback"):
        b = selectors.board(Coverage.objects.visible_to(user), Feedback.objects.visible_to(user), desk.today)
        missing = b["expected"] - b["submitted"]
        out.append(Item(
            key="supervision-feedback", title=_("Feedback on paired departments today"), count=max(missing, 0),
            url=f"{reverse('supervision:overview')}?day={day}", urgency=NOW if missing else SOON + 2,
            state="warn" if missing else "ok",
            hint=_("One screen for all paired departments; every answer starts at yes."),
        ))
    requests = ExplanationRequest.objects.visible_to(user).filter(answers__isnull=True).exclude(
        case__status=CaseStatus.CLOSED)
    if desk.role in (Role.UNIT_LIAISON, Role.BRANCH_SECRETARY):
        n = requests.count()
        late = requests.filter(deadline__lt=desk.today).exists()
        out.append(Item(
            key="supervision-requests", title=_("Written explanations requested from your unit"), count=n,
            url=f"{reverse('supervision:request_list')}?pending=true", urgency=OVERDUE if late else NOW,
            state="bad" if late else ("warn" if n else "ok"),
            hint=_("Answer on the platform, with attachments, by the deadline."),
        ))
    if user_has_perm(user, "supervision.change"):
        soon = desk.today + dt.timedelta(days=selectors.YELLOW_DAYS)
        problems = Problem.objects.visible_to(user).filter(status="open", case__isnull=True)
        n = problems.count()
        out.append(Item(
            key="supervision-problems", title=_("Problems waiting for an investigation"), count=n,
            url=f"{reverse('supervision:problem_list')}?status=open",
            urgency=NOW if problems.filter(deadline__lte=soon).exists() else SOON, state="warn" if n else "ok",
        ))
        overdue = selectors.overdue_on(Investigation.objects.visible_to(user), desk.today).count()
        out.append(Item(
            key="supervision-overdue", title=_("Supervision cases past their deadline"), count=overdue,
            url=f"{reverse('supervision:case_list')}?overdue_on={day}", urgency=OVERDUE if overdue else SOON + 1,
            state="bad" if overdue else "ok",
        ))
    return out
