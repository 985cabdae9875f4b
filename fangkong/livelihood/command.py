"""The livelihood line (民生保障调度线) on the command picture: the services the window departments
kept running today and the cases per channel, and the help requests for households at home."""

from __future__ import annotations

from django.db.models import Sum
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
from fangkong.orgs.models import Unit

from .models import Channel, ChannelVolume, HelpRequest, WindowService
from .selectors import help_figures, overdue_at

API = "/api/v1/livelihood"


def _departments(as_of: AsOf) -> UnitLists:
    running = as_of.scoped(ChannelVolume).filter(day=as_of.day, count__gt=0).values("department_id")
    return [("", Unit.objects.filter(id__in=running).order_by("code"))]


def livelihood_panel(as_of: AsOf) -> Panel:
    day = as_of.day.isoformat()
    volumes = as_of.scoped(ChannelVolume).filter(day=as_of.day)
    services_running = WindowService.objects.filter(
        id__in=volumes.filter(count__gt=0).values("service_id")).count()
    departments = _departments(as_of)[0][1].count()
    page, api_units = unit_list_urls("livelihood", "departments_serving", as_of)
    help_ = help_figures(as_of.scoped(HelpRequest), as_of.at)
    at = as_of.iso
    figures = [
        Figure("departments_serving", _("Window departments serving today"), departments, page, api_units),
        Figure("services_running", _("Services kept running today"), services_running,
               url("livelihood:volume_list", day=day, running="true"),
               url(f"{API}/services", running_on=day)),
        Figure("help_open", _("Help requests not yet done"), help_["help_open"],
               url("livelihood:help_list", open_at=at), url(f"{API}/help-requests", open_at=at)),
        Figure("help_overdue", _("Help requests overdue"), help_["help_overdue"],
               url("livelihood:help_list", overdue_at=at), url(f"{API}/help-requests", overdue_at=at)),
        Figure("help_closed", _("Help requests closed"), help_["help_closed"],
               url("livelihood:help_list", closed_before=at), url(f"{API}/help-requests", closed_before=at)),
    ]
    totals = dict(volumes.values("channel_id").annotate(n=Sum("count")).values_list("channel_id", "n"))
    breakdown = [(c.name, _("%(n)d cases") % {"n": totals.get(c.pk) or 0},
                  url("livelihood:volume_list", day=day, channel=c.pk)) for c in Channel.objects.all()]
    alerts = []
    overdue = overdue_at(as_of.scoped(HelpRequest), as_of.at).select_related("community")
    for request in overdue.order_by("due_at", "id")[:5]:
        alerts.append(Alert(_("%(community)s: %(household)s's request is overdue") % {
            "community": request.community.name, "household": request.household},
            url=request.get_absolute_url(), level="danger"))
    text = _("On %(month)d/%(day)d, %(departments)d window departments kept %(services)d services running "
             "without contact; %(open)d help requests for households at home were not yet done, %(overdue)d "
             "of them overdue.") % {
        "month": as_of.day.month, "day": as_of.day.day, "departments": departments, "services": services_running,
        "open": help_["help_open"], "overdue": help_["help_overdue"]}
    return Panel(figures=figures, alerts=alerts, headline="services_running", text=text, breakdown=breakdown)


register(Line(
    key="livelihood", title=gettext_lazy("Livelihood line"), order=50, perm="livelihood.view",
    panel=livelihood_panel, unit_lists={"departments_serving": _departments},
))
