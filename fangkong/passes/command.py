"""Staff and vehicle passes (出入证/车辆通行证) on the command picture: passes issued as of the
moment (``selectors.pass_figures``, as ``fangkong stats`` counts them), the day's checks and the
refusals by verdict."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.command.registry import Alert, AsOf, Figure, Line, Panel, register, url

from .choices import Verdict
from .models import Pass, PassCheck
from .selectors import pass_figures


def passes_panel(as_of: AsOf) -> Panel:
    passes, checks = as_of.scoped(Pass), as_of.scoped(PassCheck)
    f = pass_figures(passes, checks, as_of.at)
    start = dt.datetime.combine(as_of.day, dt.time(), tzinfo=timezone.get_current_timezone())
    since = start.isoformat()
    today = checks.filter(checked_at__gte=start, checked_at__lt=as_of.at)
    counts = dict(today.values_list("verdict").annotate(n=Count("id")).order_by())
    total = sum(counts.values())
    refused = total - counts.get(Verdict.VALID, 0)
    window = {"since": since, "until": as_of.iso}
    figures = [
        Figure("issued", _("Passes issued"), f["staff_issued"] + f["vehicle_issued"],
               url("passes:pass_list", issued_before=as_of.iso), url("/api/v1/passes/", issued_before=as_of.iso)),
        Figure("checks_today", _("Checks today"), total, url("passes:check_list", **window),
               url("/api/v1/passes/checks", **window)),
        Figure("refused_today", _("Refused today"), refused, url("passes:check_list", refused="true", **window),
               url("/api/v1/passes/checks", refused="true", **window)),
    ]
    labels = dict(Verdict.choices)
    alerts = [
        Alert(_("%(verdict)s: %(n)d") % {"verdict": labels.get(verdict, verdict), "n": n},
              url=url("passes:check_list", verdict=verdict, **window), level="danger" if verdict == "forged" else "warn")
        for verdict, n in sorted(counts.items(), key=lambda item: -item[1]) if verdict != Verdict.VALID
    ]
    text = _("%(issued)d passes issued; %(checks)d checks today, %(refused)d refused.") % {
        "issued": figures[0].value, "checks": total, "refused": refused}
    return Panel(figures=figures, alerts=alerts, headline="checks_today", text=text)


register(Line(key="passes", title=gettext_lazy("Staff and vehicle passes"), order=70, perm="passes.view",
              panel=passes_panel))
