from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .scoping import user_has_perm

# The platform's areas. Those without a url are not built yet and show as disabled entries.
AREAS: list[tuple[Any, str | None, str | None]] = [
    (_("Home"), "core:home", None),
    (_("Command"), "command:picture", "command.view"),
    (_("Organisation"), "orgs:unit_tree", "orgs.view"),
    (_("People"), "people:person_list", "people.view"),
    (_("Returnee ledger"), "returnees:returnee_list", "returnees.view"),
    (_("Daily reports"), "reports:board", "reports.view"),
    (_("Cadres down"), "deployment:overview", "deployment.view"),
    (_("Passes"), "passes:pass_list", "passes.view"),
    (_("Checkpoint check"), "passes:checkpoint_choose", "passes.verify"),
    (_("Supervision"), None, None),
    (_("Donations"), None, None),
    (_("Livelihood"), None, None),
    (_("Reports & instructions"), None, None),
    (_("Users & roles"), "accounts:user_list", "accounts.view"),
    (_("Audit log"), "audit:entry_list", "audit.view"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_areas": []}
    areas = []
    for label, url_name, perm in AREAS:
        if perm is not None and not user_has_perm(user, perm):
            continue
        url = reverse(url_name) if url_name else None
        active = bool(url) and (request.path == url if url == "/" else request.path.startswith(url or "-"))
        areas.append({"label": label, "url": url, "active": active})
    return {"nav_areas": areas}
