"""The thousand cadres down line (千人下沉) on the command picture: the figures of ``fangkong
stats`` (``selectors.deployment_figures``) over the user's scope, and the day's no-shows."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.command.registry import (
    Alert,
    AsOf,
    Figure,
    Line,
    Panel,
    UnitLists,
    register,
    unit_list_urls,
    url,
)
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink

from .models import Assignment, Secondment, Shift
from .selectors import deployment_figures, no_shows_on, secondments_on

TERRITORY = {"streets": UnitKind.STREET, "communities": UnitKind.COMMUNITY, "checkpoints": UnitKind.CHECKPOINT}


def _active(as_of: AsOf) -> Any:
    return secondments_on(as_of.scoped(Secondment), as_of.day)


def _departments(as_of: AsOf) -> UnitLists:
    return [("", Unit.objects.filter(id__in=_active(as_of).values("department_id")).order_by("code"))]


def _territory(kind: str) -> Any:
    def lists(as_of: AsOf) -> UnitLists:
        placed = _active(as_of).filter(unit__isnull=False).values("unit_id")
        above = UnitLink.objects.filter(descendant_id__in=placed).values("ancestor_id")
        return [("", Unit.objects.filter(kind=kind, id__in=above).order_by("code"))]
    return lists


def _unmanned(as_of: AsOf) -> UnitLists:
    """Checkpoints with a shift running at the moment and nobody of it checked in."""
    at = as_of.at
    running = as_of.scoped(Shift).filter(starts_at__lte=at, ends_at__gt=at)
    present = as_of.scoped(Assignment).filter(starts_at__lte=at, ends_at__gt=at, checked_in_at__lte=at).filter(
        Q(checked_out_at__isnull=True) | Q(checked_out_at__gt=at))
    units = Unit.objects.filter(id__in=running.values("checkpoint_id")).exclude(id__in=present.values("checkpoint_id"))
    return [("", units.order_by("code"))]


def deployment_panel(as_of: AsOf) -> Panel:
    f = deployment_figures(as_of.scoped(Secondment), as_of.day)
    day = as_of.day.isoformat()
    api = "/api/v1/deployment/secondments"
    figures = [Figure("cadres_seconded", _("Cadres seconded"), f["cadres_seconded"],
                      url("deployment:secondment_list", on=day), url(api, on=day), unit=_("people"))]
    page, api_units = unit_list_urls("deployment", "departments_sending", as_of)
    figures.append(Figure("departments_sending", _("Departments sending"), f["departments_sending"], page, api_units))
    labels = {"streets": _("Streets covered"), "communities": _("Communities covered"),
              "checkpoints": _("Checkpoints covered")}
    for key in TERRITORY:
        page, api_units = unit_list_urls("deployment", key, as_of)
        figures.append(Figure(key, labels[key], f[key], page, api_units))
    figures.append(Figure("unplaced", _("Not yet placed"), f["unplaced"],
                          url("deployment:secondment_list", on=day, placed="false"),
                          url(api, on=day, placed="false"), unit=_("people")))
    page, api_units = unit_list_urls("deployment", "checkpoints_unmanned", as_of)
    unmanned = _unmanned(as_of)[0][1].count()
    figures.append(Figure("checkpoints_unmanned", _("Checkpoints without a cadre on shift"), unmanned, page, api_units))
    missed = no_shows_on(as_of.scoped(Assignment), as_of.day, as_of.at)
    no_show_count = missed.count()
    figures.append(Figure("no_shows", _("No-shows today"), no_show_count,
                          url("deployment:no_shows", day=day, at=as_of.iso),
                          url("/api/v1/deployment/no-shows", day=day, at=as_of.iso), unit=_("people")))
    alerts = [
        Alert(_("%(name)s did not check in at %(checkpoint)s (shift from %(start)s)") % {
            "name": a.person.name, "checkpoint": a.checkpoint.name,
            "start": timezone.localtime(a.starts_at).strftime("%H:%M")},
            url=f"/deployment/rosters/{a.shift_id}/")
        for a in missed.order_by("starts_at", "id")[:5]
    ]
    if unmanned:
        alerts.insert(0, Alert(_("%(n)d checkpoints have a shift running and nobody checked in") % {"n": unmanned},
                               url=page, level="danger"))
    if f["unplaced"]:
        alerts.append(Alert(_("%(n)d seconded cadres are not placed yet") % {"n": f["unplaced"]},
                            url=url("deployment:secondment_list", on=day, placed="false")))
    text = _("As of %(month)d/%(day)d, %(cadres)d cadres from %(departments)d departments were down in "
             "%(streets)d streets, %(communities)d communities and %(checkpoints)d checkpoints.") % {
        "month": as_of.day.month, "day": as_of.day.day, "cadres": f["cadres_seconded"],
        "departments": f["departments_sending"], "streets": f["streets"], "communities": f["communities"],
        "checkpoints": f["checkpoints"]}
    if no_show_count:
        text += _(" %(n)d no-shows today.") % {"n": no_show_count}
    return Panel(figures=figures, alerts=alerts, headline="cadres_seconded", text=text)


register(Line(
    key="deployment", title=gettext_lazy("Thousand cadres down line"), order=20, perm="deployment.view",
    panel=deployment_panel,
    unit_lists={"departments_sending": _departments, "checkpoints_unmanned": _unmanned,
                **{key: _territory(kind) for key, kind in TERRITORY.items()}},
))
