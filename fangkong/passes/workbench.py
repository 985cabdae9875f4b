"""The passes' items on the workbench: the scanner one tap away, and the officer's last checks."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Role
from fangkong.core.scoping import user_has_perm
from fangkong.core.workbench import NOW, SOON, Action, Desk, Item, Row

from .models import PassCheck

LAST_CHECKS = 5
BADGES = {"valid": "ok", "expired": "warn"}


def items(desk: Desk) -> list[Item]:
    user = desk.user
    if not user_has_perm(user, "passes.verify") or desk.role not in {Role.CHECKPOINT_STAFF, Role.COMMUNITY_STAFF}:
        return []
    scanner = reverse("passes:checkpoint_choose")
    scan = Item(
        key="passes-scan", title=_("Check passes at the checkpoint"), url=scanner,
        urgency=NOW if desk.role == Role.CHECKPOINT_STAFF else SOON,
        hint=_("Scan a pass's QR code or type its number; works offline too."),
        actions=[Action(_("Open the scanner"), scanner, primary=True)],
    )
    if desk.role == Role.CHECKPOINT_STAFF:
        scan.rows_title = _("Your last checks")
        # The officer's own checks: what they saw themselves, nothing of anyone else's.
        for check in PassCheck.objects.filter(checked_by=user).order_by("-checked_at", "-id")[:LAST_CHECKS]:
            scan.rows.append(Row(
                text=f"{check.holder or check.pass_number or '—'}",
                hint=f"{check.checked_at.astimezone(desk.now.tzinfo):%m-%d %H:%M} · {check.get_direction_display()}"
                if check.direction else f"{check.checked_at.astimezone(desk.now.tzinfo):%m-%d %H:%M}",
                badge=check.get_verdict_display(), badge_class=BADGES.get(check.verdict, "bad"),
            ))
    return [scan]
