"""The community supervision line (社区督查调度线) on the command picture: the figures of
``fangkong stats`` (``selectors.figures``) over the user's visible records, each linked to the
list it counts; the feedback rate with its numerator and denominator lists."""

from __future__ import annotations

from typing import Any

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

from . import selectors
from .models import Coverage, Feedback, Investigation, Problem, Referral

API = "/api/v1/supervision"
BODIES = (("organisation", gettext_lazy("Referred to the organisation department")),
          ("discipline", gettext_lazy("Referred to the discipline commission")),
          ("inspection", gettext_lazy("Referred to the inspection group")))


def _communities(as_of: AsOf) -> UnitLists:
    covered = as_of.scoped(Coverage).filter(selectors.covering_on(as_of.day)).values("community_id")
    return [("", Unit.objects.filter(id__in=covered).order_by("code"))]


def supervision_panel(as_of: AsOf) -> Panel:
    day = as_of.day
    d = day.isoformat()
    f: dict[str, Any] = selectors.figures(
        coverage=as_of.scoped(Coverage), feedback=as_of.scoped(Feedback), problems=as_of.scoped(Problem),
        cases=as_of.scoped(Investigation), referrals=as_of.scoped(Referral), day=day)
    page, api_units = unit_list_urls("supervision", "communities_covered", as_of)
    figures = [
        Figure("groups", _("Supervision groups"), f["groups"], url("supervision:overview", day=d),
               url(f"{API}/groups", on=d)),
        Figure("communities_covered", _("Communities covered"), f["communities_covered"], page, api_units),
        Figure("feedback_submitted", _("Feedback answers given"), f["feedback_submitted"],
               url("supervision:feedback_list", day=d, current="true", covered_on=d),
               url(f"{API}/feedback", day=d, current="true", covered_on=d)),
        Figure("feedback_expected", _("Feedback answers expected"), f["feedback_expected"],
               url("supervision:overview", day=d), url(f"{API}/pairs", day=d)),
        Figure("feedback_no_items", _("Answers with a no"), f["feedback_no_items"],
               url("supervision:feedback_list", day=d, current="true", covered_on=d, no="true"),
               url(f"{API}/feedback", day=d, current="true", covered_on=d, no="true")),
        Figure("problems", _("Problems found"), f["problems"], url("supervision:problem_list", found_to=d),
               url(f"{API}/problems", found_to=d)),
        Figure("investigations_open", _("Investigations open"), f["investigations_open"],
               url("supervision:case_list", open_on=d), url(f"{API}/cases", open_on=d)),
        Figure("rectifications_open", _("Rectifications under way"), f["rectifications_open"],
               url("supervision:case_list", rectifying_on=d), url(f"{API}/cases", rectifying_on=d)),
    ]
    for code, label in BODIES:
        figures.append(Figure(f"referrals_{code}", str(label), f["referrals"][code],
                              url("supervision:referral_list", body=code, referred_to=d),
                              url(f"{API}/referrals", body=code, referred_to=d)))
    figures.append(Figure("overdue", _("Cases overdue"), f["overdue"], url("supervision:case_list", overdue_on=d),
                          url(f"{API}/cases", overdue_on=d)))
    alerts = []
    if f["overdue"]:
        alerts.append(Alert(_("%(n)d supervision cases are past their deadline") % {"n": f["overdue"]},
                            url=url("supervision:case_list", overdue_on=d), level="danger"))
    missing = f["feedback_expected"] - f["feedback_submitted"]
    if missing > 0:
        alerts.append(Alert(_("%(n)d community feedback answers are missing today") % {"n": missing},
                            url=url("supervision:overview", day=d)))
    text = _("As of %(month)d/%(day)d, %(groups)d groups covered %(communities)d communities; %(given)d of "
             "%(expected)d feedback answers were given, %(no)d with a no; %(problems)d problems found, "
             "%(open)d investigations open.") % {
        "month": day.month, "day": day.day, "groups": f["groups"], "communities": f["communities_covered"],
        "given": f["feedback_submitted"], "expected": f["feedback_expected"], "no": f["feedback_no_items"],
        "problems": f["problems"], "open": f["investigations_open"]}
    return Panel(figures=figures, alerts=alerts, headline="problems", text=text)


register(Line(
    key="supervision", title=gettext_lazy("Community supervision line"), order=30, perm="supervision.view",
    panel=supervision_panel, unit_lists={"communities_covered": _communities},
))
