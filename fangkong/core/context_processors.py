from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import clock
from .links import allowed_url

# The platform's areas. Those without a url are not built yet and show as disabled entries. Who
# sees an area is the area's view's own permission check (core.links), not a list kept here.
AREAS: list[tuple[Any, str | None]] = [
    (_("Home"), "core:home"),
    (_("Command"), "command:picture"),
    (_("Organisation"), "orgs:unit_tree"),
    (_("People"), "people:person_list"),
    (_("Returnee ledger"), "returnees:returnee_list"),
    (_("Daily reports"), "reports:board"),
    (_("Cadres down"), "deployment:overview"),
    (_("Passes"), "passes:pass_list"),
    (_("Checkpoint check"), "passes:checkpoint_choose"),
    (_("Supervision"), "supervision:overview"),
    (_("Donations"), "donations:overview"),
    (_("Livelihood"), "livelihood:overview"),
    (_("Publicity"), "publicity:overview"),
    (_("Campaign"), "publicity:pledge_list"),
    (_("Reports & instructions"), "documents:document_list"),
    (_("Users & roles"), "accounts:user_list"),
    (_("Audit log"), "audit:entry_list"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_areas": []}
    areas = []
    for label, url_name in AREAS:
        url = allowed_url(user, url_name) if url_name else None
        if url_name and not url:
            continue
        areas.append({"label": label, "url": url, "active": False})
    # The entry whose address is the longest start of this page's is the current one (the
    # checkpoint check lives under the passes).
    current = [a for a in areas if a["url"] and (request.path == a["url"] or (a["url"] != "/" and request.path.startswith(a["url"])))]
    if current:
        max(current, key=lambda a: len(a["url"]))["active"] = True
    return {"nav_areas": areas}


def business_day(request: HttpRequest) -> dict[str, Any]:
    """The frozen business day, for the banner every page shows (the demo's story day); None in
    production, where no day is frozen and no banner shows."""
    # The function, not its value: a template calls it only where it shows the bar.
    return {"business_day": clock.frozen_day}
