"""The referral letter (移交函) and the periodic bulletin (督查通报 第N期) as rows, for the
printable page and the xlsx alike (the documents line adds Word)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from .models import Bulletin, Investigation, Problem, Referral

COMMITTEE = "中共白山市直属机关工作委员会"


def referral_letter(referral: Referral, *, user: Any) -> dict[str, Any]:
    case = referral.case
    problems = list(Problem.objects.visible_to(user).filter(case=case).select_related("classification"))
    title = f"关于{case.unit.name}有关问题的移交函"
    rows: list[list[Any]] = [
        [_("Letter number"), referral.letter_no],
        [_("To"), referral.body.name],
        [_("Title"), title],
        [_("Case"), f"{case.number} {case.title}"],
        [_("Unit concerned"), case.unit.name],
        [_("Team leader"), case.leader.name],
        [_("Findings"), case.findings],
        [_("Conclusion"), case.get_conclusion_display()],
        [_("Referral note"), referral.note],
    ]
    rows += [[_("Problem"), f"{p.number} {p.classification.name}：{p.summary}"] for p in problems]
    rows += [[_("From"), COMMITTEE], [_("Date"), referral.referred_on.isoformat()]]
    return {"title": title, "rows": rows, "problems": problems}


def bulletin_content(bulletin: Bulletin, *, user: Any) -> dict[str, Any]:
    """The period's problems (by source and classification), rectifications and referrals."""
    start, end = bulletin.period_from, bulletin.period_to
    problems = Problem.objects.visible_to(user).filter(found_on__gte=start, found_on__lte=end)
    cases = Investigation.objects.visible_to(user)
    rectified = cases.filter(verified_on__gte=start, verified_on__lte=end).select_related("unit")
    rectifying = cases.filter(conclusion="rectify", concluded_on__lte=end).exclude(verified_on__lte=end)
    referrals = Referral.objects.visible_to(user).filter(referred_on__gte=start, referred_on__lte=end).select_related(
        "case", "case__unit", "body", "outcome")
    by_class = list(problems.values("classification__name").annotate(n=Count("id")).order_by("-n"))
    headers = [_("Section"), _("Unit"), _("Item"), _("Date"), _("State")]
    rows: list[list[Any]] = []
    for p in problems.select_related("unit", "classification").order_by("found_on", "id"):
        rows.append([_("Problem"), p.unit.name, f"{p.classification.name}：{p.summary}", p.found_on.isoformat(),
                     p.get_status_display()])
    for c in rectified:
        rows.append([_("Rectified"), c.unit.name, c.measures[:200], c.verified_on.isoformat() if c.verified_on else "",
                     c.verified_note])
    for c in rectifying.select_related("unit"):
        rows.append([_("Rectifying"), c.unit.name, c.measures[:200], c.rectify_by.isoformat() if c.rectify_by else "",
                     c.get_status_display()])
    for r in referrals:
        rows.append([_("Referral"), r.case.unit.name, f"{r.body.name} {r.letter_no}", r.referred_on.isoformat(),
                     r.outcome.name if r.outcome else _("awaiting outcome")])
    return {"headers": headers, "rows": rows, "problems": problems.count(), "by_class": by_class,
            "rectified": rectified.count(), "rectifying": rectifying.count(), "referrals": referrals.count()}
