"""The daily reports' to-do items on the workbench: today's reports of the user's units (or of the
units below them), and concealment flags to answer or to review."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.accounts.roles import Role
from fangkong.core.scoping import scope_unit_ids, user_has_perm
from fangkong.core.workbench import NOW, OVERDUE, SOON, Action, Desk, Item, Row
from fangkong.orgs.models import Unit
from fangkong.orgs.selectors import visible_roots

from . import selectors
from .choices import FlagStatus
from .models import ConcealmentFlag, Report, ReportTemplate

ROWS = 5
# Who reads the flags besides the office, which decides (until the supervision line has its own pages).
REVIEWERS = {Role.INSPECTION_GROUP, Role.DISCIPLINE_OFFICE}


def countdown(deadline: dt.datetime, now: dt.datetime) -> tuple[str, bool]:
    """"Deadline 16:00, 2 h 10 min left" or "Deadline 16:00, passed 35 min ago"; and whether it passed."""
    minutes = int((deadline - now).total_seconds() // 60)
    at = deadline.astimezone(now.tzinfo).strftime("%H:%M") if now.tzinfo else deadline.strftime("%H:%M")
    if minutes >= 0:
        hours, rest = divmod(minutes, 60)
        left = (_("%(h)d h %(m)d min") % {"h": hours, "m": rest}) if hours else (_("%(m)d min") % {"m": rest})
        return _("Deadline %(at)s, %(left)s left") % {"at": at, "left": left}, False
    hours, rest = divmod(-minutes, 60)
    ago = (_("%(h)d h %(m)d min") % {"h": hours, "m": rest}) if hours else (_("%(m)d min") % {"m": rest})
    return _("Deadline %(at)s passed %(ago)s ago") % {"at": at, "ago": ago}, True


def _board_url(template: ReportTemplate, day: dt.date, node: Unit, *, waiting: bool = True) -> str:
    query = f"template={template.pk}&day={day.isoformat()}&unit={node.pk}"
    return f"{reverse('reports:board')}?{query}{'&state=waiting' if waiting else ''}"


def _templates(desk: Desk) -> list[ReportTemplate]:
    return [t for t in ReportTemplate.objects.visible_to(desk.user).filter(is_active=True)  # type: ignore[attr-defined]
            if t.active_on(desk.today)]


def report_items(desk: Desk) -> list[Item]:
    """One item per template and top unit of the user's scope with units expected today: how many
    have not yet reported (the board's ``state=waiting`` list), the deadline countdown, and for a
    role that sends reports, the units themselves with "fill in" and the one-tap zero report."""
    user = desk.user
    whole = scope_unit_ids(user) is None
    if not user_has_perm(user, "reports.view") or (whole and not user_has_perm(user, "reports.review")):
        return []
    sends = user_has_perm(user, "reports.submit") and not whole
    reminds = user_has_perm(user, "reports.remind")
    at = desk.now
    items: list[Item] = []
    for root in visible_roots(user):
        for template in _templates(desk):
            expected = selectors.expected_units(template=template, day=desk.today, under=root.pk)
            n_expected = expected.count()
            if not n_expected:
                continue
            waiting = selectors.waiting_units(template, desk.today, root.pk, at).order_by("code")
            n_waiting = waiting.count()
            sent = Report.objects.filter(template=template, day=desk.today, unit__in=expected,
                                         received_at__lte=at, in_day=True)
            n_zero = sent.filter(is_zero=True).count()
            hint, passed = countdown(template.deadline_at(desk.today), at)
            item = Item(
                key=f"reports-{template.code}-{root.pk}",
                title=(_("Today's report: %(name)s") % {"name": template.name}) if sends
                else (_("Not yet reported today: %(name)s") % {"name": template.name}),
                count=n_waiting, url=_board_url(template, desk.today, root),
                hint=hint, state=("bad" if passed else "warn") if n_waiting else "ok",
                urgency=(OVERDUE if passed else NOW) if n_waiting else SOON,
                figures=[(_("Sent"), n_expected - n_waiting - n_zero), (_("Zero reports"), n_zero),
                         (_("Not yet"), n_waiting)],
            )
            shown = list(waiting[:ROWS])
            item.more = max(n_waiting - len(shown), 0)
            submit = reverse("reports:submit")
            for unit in shown:
                row = Row(text=unit.display_name, badge=_("Past the deadline") if passed else _("Not yet reported"),
                          badge_class="bad" if passed else "warn")
                if sends:
                    query = f"unit={unit.pk}&template={template.pk}&day={desk.today.isoformat()}"
                    row.actions = [
                        Action(_("Fill in the figures"), f"{submit}?{query}", primary=True),
                        Action(_("Nothing new today"), submit, method="post", fields={
                            "unit": unit.pk, "template": template.pk, "day": desk.today.isoformat(),
                            "zero": "1", "next": reverse("core:home")},
                            confirm=_("Send the zero report of %(unit)s: nothing new today?") % {"unit": unit.display_name}),
                    ]
                item.rows.append(row)
            if sends and n_waiting == 0 and n_expected <= ROWS:
                for report in sent.select_related("unit").order_by("unit__code"):
                    item.rows.append(Row(
                        text=report.unit.display_name, url=report.get_absolute_url(),
                        badge=_("Zero report") if report.is_zero else _("Sent"), badge_class="ok",
                        hint=report.received_at.astimezone(at.tzinfo).strftime("%H:%M"),
                    ))
            remind = _remind_action(template, desk.today, [u.pk for u in waiting[:500]]) if reminds and n_waiting \
                else None
            if remind:
                item.actions.append(remind)
            items.append(item)
    return items


def _remind_action(template: ReportTemplate, day: dt.date, unit_ids: list[int]) -> Action | None:
    from .views import remind_url

    url = remind_url()
    if not url or not unit_ids:
        return None
    label = ngettext("Remind the %(n)d unit", "Remind the %(n)d units", len(unit_ids)) % {"n": len(unit_ids)}
    return Action(label, url, method="post", primary=True, fields={
        "template": template.pk, "day": day.isoformat(), "units": unit_ids, "next": reverse("core:home")})


def flag_items(desk: Desk) -> list[Item]:
    """Concealment flags: a unit's liaison answers the open ones raised against its units; the
    office, the inspection group and the discipline office review the open ones."""
    user = desk.user
    if not user_has_perm(user, "reports.view"):
        return []
    flags = ConcealmentFlag.objects.visible_to(user).filter(status=FlagStatus.OPEN)  # type: ignore[attr-defined]
    flag_list = reverse("reports:flag_list")
    answers = user_has_perm(user, "reports.submit") and not user_has_perm(user, "reports.review") \
        and scope_unit_ids(user) is not None
    if answers:
        todo = flags.filter(answered_at__isnull=True).select_related("unit", "template").order_by("-day", "id")
        n = todo.count()
        if not n:
            return []
        item = Item(
            key="flags-answer", title=_("Flags raised against your units"), count=n, state="bad", urgency=OVERDUE,
            url=f"{flag_list}?status=open&answered=false",
            hint=_("The returnee ledger shows more new returnees than the report said: correct the report "
                   "or explain, and record the unit's answer."),
        )
        for flag in todo[:ROWS]:
            item.rows.append(Row(
                text=f"{flag.unit.display_name} · {flag.day.isoformat()}", badge=flag.get_kind_display(),
                badge_class="bad",
                hint=_("reported %(reported)s, the ledger shows %(ledger)s") % {
                    "reported": "—" if flag.reported is None else flag.reported, "ledger": flag.ledger},
                actions=[Action(_("Answer"), flag.get_absolute_url(), primary=True)],
            ))
        item.more = max(n - ROWS, 0)
        return [item]
    if not user_has_perm(user, "reports.review") and desk.role not in REVIEWERS:
        return []
    n = flags.count()
    item = Item(
        key="flags-review", title=_("Concealment flags to review"), count=n, url=f"{flag_list}?status=open",
        state="bad" if n else "ok", urgency=NOW if n else SOON,
        hint=_("Reports contradicted by the returnee ledger, with the unit's answer when it gave one."),
    )
    for flag in flags.select_related("unit").order_by("-day", "id")[:ROWS]:
        item.rows.append(Row(
            text=f"{flag.unit.display_name} · {flag.day.isoformat()}", url=flag.get_absolute_url(),
            badge=_("Answered") if flag.answered_at else _("Not answered yet"),
            badge_class="ok" if flag.answered_at else "warn", hint=flag.get_kind_display(),
        ))
    item.more = max(n - ROWS, 0)
    return [item]


def items(desk: Desk) -> list[Item]:
    return report_items(desk) + flag_items(desk)
