"""The material donation line (物资捐赠调度线) on the command picture: donors, intakes and
distributions as of the moment's day, open needs and distributions not yet signed for, each figure
counting the list its ``api_url`` answers (in the user's scope)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.command.registry import Alert, AsOf, Figure, Line, Panel, register, url

from .choices import DonorKind
from .models import Distribution, Donor, Intake, Need
from .selectors import donors_until, open_needs, unsigned


def donations_panel(as_of: AsOf) -> Panel:
    day = as_of.day.isoformat()
    donors = donors_until(as_of.scoped(Donor), as_of.day)
    donor_count = donors.count()
    departments = donors.filter(kind=DonorKind.DEPARTMENT).count()
    intakes = as_of.scoped(Intake).filter(received_on__lte=as_of.day).count()
    distributions = as_of.scoped(Distribution).filter(dispatched_on__lte=as_of.day).count()
    needs = open_needs(as_of.scoped(Need), as_of.day).count()
    waiting = unsigned(as_of.scoped(Distribution), as_of.day).count()
    api = "/api/v1/donations"
    figures = [
        Figure("donor_departments", _("Departments donating"), departments,
               url("donations:donor_list", given_until=day, kind=DonorKind.DEPARTMENT),
               url(f"{api}/donors", given_until=day, kind=DonorKind.DEPARTMENT)),
        Figure("donors", _("Donors"), donor_count, url("donations:donor_list", given_until=day),
               url(f"{api}/donors", given_until=day)),
        Figure("intakes", _("Intakes"), intakes, url("donations:intake_list", until=day),
               url(f"{api}/intakes", until=day)),
        Figure("distributions", _("Distributions"), distributions, url("donations:distribution_list", until=day),
               url(f"{api}/distributions", until=day)),
        Figure("needs_open", _("Open needs"), needs, url("donations:need_list", status="open", until=day),
               url(f"{api}/needs", status="open", until=day)),
        Figure("receipts_unsigned", _("Not yet signed for"), waiting,
               url("donations:distribution_list", unsigned_on=day), url(f"{api}/distributions", unsigned_on=day)),
    ]
    alerts = []
    if needs:
        alerts.append(Alert(_("%(n)d needs wait for an allocation") % {"n": needs},
                            url=url("donations:need_list", status="open", until=day)))
    if waiting:
        alerts.append(Alert(_("%(n)d distributions are not yet signed for") % {"n": waiting},
                            url=url("donations:distribution_list", unsigned_on=day)))
    text = _("As of %(month)d/%(day)d, %(departments)d departments and %(donors)d donors in all had given; "
             "%(distributions)d distributions went out, %(waiting)d not yet signed for.") % {
        "month": as_of.day.month, "day": as_of.day.day, "departments": departments, "donors": donor_count,
        "distributions": distributions, "waiting": waiting}
    return Panel(figures=figures, alerts=alerts, headline="donors", text=text)


register(Line(key="donations", title=gettext_lazy("Material donation line"), order=40, perm="donations.view",
              panel=donations_panel))
