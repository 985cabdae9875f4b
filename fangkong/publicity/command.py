"""Publicity and the campaign on the command picture: pledge signatures, media pushes and model
deeds published as of the moment (each the count of its list), and the sums (counted forwards of
the pledge, official forwards) as the panel's breakdown, each linked to the rows it sums."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.command.registry import AsOf, Figure, Line, Panel, register, url

from .models import MediaPush, ModelDeed, OfficialForward, PledgeSignature, ShareCount
from .selectors import publicity_figures

API = "/api/v1/publicity"


def publicity_panel(as_of: AsOf) -> Panel:
    day = as_of.day
    f = publicity_figures(signatures=as_of.scoped(PledgeSignature), shares=as_of.scoped(ShareCount),
                          forwards=as_of.scoped(OfficialForward), pushes=as_of.scoped(MediaPush),
                          deeds=as_of.scoped(ModelDeed).filter(published_at__lt=as_of.at), day=day)
    iso = day.isoformat()
    figures = [
        Figure("pledge_signatures", _("Pledge signatures"), f["pledge_signatures"],
               url("publicity:signature_list", until=iso), url(f"{API}/signatures", until=iso), unit=_("people")),
        Figure("media_pushes", _("Media pushes"), f["media_pushes"], url("publicity:push_list", until=iso),
               url(f"{API}/media-pushes", until=iso)),
        Figure("model_deeds_published", _("Model deeds published"), f["model_deeds_published"],
               url("publicity:deed_list", status="published", published_before=as_of.iso),
               url(f"{API}/deeds", status="published", published_before=as_of.iso)),
    ]
    breakdown = [
        (_("Counted forwards of the pledge"), str(f["pledge_forwards"]), url("publicity:pledge_list")),
        (_("Official messages forwarded"), str(f["official_forwards"]), url("publicity:forward_list", until=iso)),
    ]
    text = _("As of %(month)d/%(day)d, %(signed)d party members had signed the pledge, forwarded %(shares)d times; "
             "%(forwards)d official messages were forwarded and %(pushes)d reports pushed to media.") % {
        "month": day.month, "day": day.day, "signed": f["pledge_signatures"], "shares": f["pledge_forwards"],
        "forwards": f["official_forwards"], "pushes": f["media_pushes"]}
    return Panel(figures=figures, headline="pledge_signatures", text=text, breakdown=breakdown)


register(Line(key="publicity", title=gettext_lazy("Publicity and the campaign"), order=55, perm="publicity.view",
              panel=publicity_panel))
