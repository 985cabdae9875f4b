"""The command picture (指挥调度): the lines as of a moment, the large screen for the command
room, the unit lists behind unit counts, and the daily briefings."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import TemplateView

from fangkong.core import clock
from fangkong.core.scoping import scope_unit_ids
from fangkong.core.views import XLSX, PermissionMixin

from . import selectors
from .registry import LINES, AsOf


class CommandMixin(PermissionMixin):
    request: HttpRequest
    required_perm = "command.view"

    def moment(self) -> dt.datetime:
        try:
            return selectors.parse_as_of(self.request.GET.get("as_of"))
        except ValueError:
            raise Http404 from None


class PictureView(CommandMixin, TemplateView):
    template_name = "command/picture.html"
    screen = False

    def get_template_names(self) -> list[str]:
        return ["command/screen.html" if self.screen else self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        at = self.moment()
        data = selectors.picture(self.request.user, at)
        day = data["day"]
        today = clock.today()
        for line in data["lines"]:
            line["trend_json"] = json.dumps(line["trend"]) if line["trend"] else ""
        context.update(
            picture=data, at=at, day=day, today=today, is_now="as_of" not in self.request.GET or day >= today,
            previous_day=(day - dt.timedelta(days=1)).isoformat(),
            next_day=(day + dt.timedelta(days=1)).isoformat() if day < today else None,
            enabled=[line for line in data["lines"] if line["enabled"]],
            disabled=[line for line in data["lines"] if not line["enabled"]],
        )
        return context


class UnitListView(CommandMixin, TemplateView):
    """The units behind a figure that counts units, as of the same moment."""

    template_name = "command/unit_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        line = LINES.get(kwargs["line"])
        if line is None or line not in selectors.visible_lines(self.request.user) or kwargs["figure"] not in line.unit_lists:
            raise Http404
        as_of = AsOf(self.request.user, self.moment())
        groups = selectors.unit_lists(line, kwargs["figure"], as_of)
        total = 0
        shown = []
        for label, qs in groups:
            n = qs.count()
            total += n
            if n:
                shown.append({"label": label, "count": n, "units": list(qs.only("id", "code", "name", "kind")[:500])})
        panel = selectors.compute(line, as_of) if line.panel else None
        figure = next((f for f in panel.figures if f.key == kwargs["figure"]), None) if panel else None
        context.update(line=line, figure=figure, groups=shown, total=total, at=as_of.at,
                       back=f"/command/?as_of={timezone.localtime(as_of.at).isoformat()}")
        return context


class BriefingMixin(CommandMixin):
    """The briefing is the whole city's, sent up to the leaders: only a whole-city scope reads it."""

    @classmethod
    def allows(cls, user: Any, **kwargs: Any) -> bool:
        return super().allows(user, **kwargs) and scope_unit_ids(user) is None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and scope_unit_ids(request.user) is not None:  # type: ignore[arg-type]
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class BriefingListView(BriefingMixin, TemplateView):
    template_name = "command/briefing_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from .models import Briefing

        context = super().get_context_data(**kwargs)
        qs = Briefing.objects.order_by("-number", "-version")
        page = Paginator(qs, 30).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, object_list=page.object_list, querystring="")
        return context


class BriefingDetailView(BriefingMixin, TemplateView):
    template_name = "command/briefing_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from .models import Briefing

        context = super().get_context_data(**kwargs)
        briefing = get_object_or_404(Briefing, pk=kwargs["pk"])
        context.update(object=briefing, versions=Briefing.objects.filter(number=briefing.number).order_by("version"))
        return context


class BriefingExportView(BriefingMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        from .models import Briefing
        from .services import briefing_xlsx

        briefing = get_object_or_404(Briefing, pk=pk)
        response = HttpResponse(briefing_xlsx(briefing), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(
            True, f"briefing-{briefing.number}-v{briefing.version}.xlsx") or ""
        return response
