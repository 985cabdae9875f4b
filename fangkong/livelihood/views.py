"""Pages of the livelihood line: the catalogue and the day's volumes per channel, a service's daily
figures, help requests (the list with its lights, registration, the phone page where a cadre marks
an errand done), and the household's public one-time confirmation page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from fangkong.core import clock
from fangkong.core.forms import add_service_errors as _errors
from fangkong.core.scoping import user_has_perm
from fangkong.core.stats import as_of_default
from fangkong.core.views import ScopedDetailView, ScopedListView, ScopedMixin, ScopedRevealView

from . import selectors, services
from .filtersets import HelpRequestFilterSet, VolumeFilterSet
from .forms import AssignForm, HelpRequestForm, NoteForm, VolumeForm
from .models import Channel, ChannelVolume, HelpRequest, WindowService


def _day(request: HttpRequest, key: str = "day") -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get(key, ""))
    except ValueError:
        return as_of_default()




class OverviewView(ScopedMixin, TemplateView):
    """The catalogue (departments, services, channels) and the day's cases per channel."""

    model = ChannelVolume
    required_perm = "livelihood.view"
    template_name = "livelihood/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        day = _day(self.request)
        volumes = self.get_queryset()
        today = dict(volumes.filter(day=day).values("service_id").annotate(n=Sum("count"))
                     .values_list("service_id", "n"))
        services_ = (WindowService.objects.visible_to(self.request.user).filter(is_active=True)  # type: ignore[attr-defined]
                     .select_related("department").prefetch_related(Prefetch("channels", Channel.objects.all())))
        user = self.request.user
        from fangkong.core.scoping import scope_unit_ids

        units = scope_unit_ids(user) if user_has_perm(user, "livelihood.report") else []  # type: ignore[arg-type]
        departments: dict[int, dict[str, Any]] = {}
        for service in services_:
            entry = departments.setdefault(service.department_id, {"department": service.department, "services": []})
            entry["services"].append({"service": service, "today": today.get(service.pk),
                                      "may_report": units is None or service.department_id in units})
        context.update(
            day=day, departments=list(departments.values()),
            by_channel=selectors.volume_by_channel(volumes, day, day),
            to_date=selectors.volume_by_channel(volumes, None, day),
            can_report=user_has_perm(user, "livelihood.report"),
        )
        return context


class VolumeListView(ScopedListView):
    model = ChannelVolume
    required_perm = "livelihood.view"
    template_name = "livelihood/volume_list.html"
    partial_template = "livelihood/_volume_table.html"
    filterset_class = VolumeFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("service", "channel", "department")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filterset = context["filterset"]
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        context["total"] = qs.aggregate(n=Sum("count"))["n"] or 0
        return context


class VolumeRecordView(ScopedMixin, TemplateView):
    """A window department's daily figures for one service: cases per channel it offers."""

    model = ChannelVolume
    required_perm = "livelihood.report"
    template_name = "livelihood/volume_form.html"

    def service(self) -> WindowService:
        from fangkong.core.scoping import scope_unit_ids

        qs = WindowService.objects.visible_to(self.request.user).select_related("department")  # type: ignore[attr-defined]
        units = scope_unit_ids(self.request.user)  # type: ignore[arg-type]
        if units is not None:
            qs = qs.filter(department_id__in=units)
        return get_object_or_404(qs, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        service = self.service()
        channels = list(service.channels.all())
        day = _day(self.request)
        if "form" not in kwargs:
            current = dict(ChannelVolume.objects.filter(service=service, day=day).values_list("channel_id", "count"))
            initial: dict[str, Any] = {"day": day, **{f"c{c.pk}": current.get(c.pk) for c in channels}}
            kwargs["form"] = VolumeForm(channels=channels, initial=initial)
        context.update(service=service, form=kwargs["form"], day=day)
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        service = self.service()
        form = VolumeForm(request.POST, channels=list(service.channels.all()))
        if form.is_valid():
            try:
                services.volumes_record(actor=request.user, service=service,  # type: ignore[arg-type]
                                        day=form.cleaned_data["day"], counts=form.counts())
            except ValidationError as exc:
                _errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The day's figures are recorded."))
                return redirect(f"{reverse('livelihood:overview')}?day={form.cleaned_data['day'].isoformat()}")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class HelpListView(ScopedListView):
    model = HelpRequest
    template_name = "livelihood/help_list.html"
    partial_template = "livelihood/_help_table.html"
    filterset_class = HelpRequestFilterSet

    def get_queryset(self) -> Any:
        qs = super().get_queryset().select_related("community", "assignee__person")
        return selectors.with_light(qs, clock.now())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_register"] = user_has_perm(self.request.user, "livelihood.help")
        return context


class HelpCreateView(ScopedMixin, TemplateView):
    model = HelpRequest
    required_perm = "livelihood.help"
    template_name = "livelihood/help_form.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or HelpRequestForm(user=self.request.user)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = HelpRequestForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                help_request = services.help_register(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as exc:
                _errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The request is registered."))
                return redirect(help_request)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class HelpDetailView(ScopedDetailView):
    """One request, laid out for a phone: what, where, by when; mark done; the household's link."""

    model = HelpRequest
    template_name = "livelihood/help_detail.html"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("community", "assignee__person", "assignee__unit")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj: HelpRequest = context["object"]
        user = self.request.user
        context.update(
            light=selectors.light_of(obj, clock.now()),
            can_help=user_has_perm(user, "livelihood.help") and obj.status != "closed",
            can_done=user_has_perm(user, "livelihood.done"),
            can_reveal=user_has_perm(user, "livelihood.reveal"),
            assign_form=kwargs.get("assign_form") or AssignForm(community=obj.community, initial={
                "assignee": obj.assignee_id, "volunteer": obj.volunteer}),
            note_form=NoteForm(),
            confirm_url=kwargs.get("confirm_url"),
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object()
        action = request.POST.get("action", "")
        actor: Any = request.user
        confirm_url = None
        try:
            if action == "assign":
                form = AssignForm(request.POST, community=obj.community)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(assign_form=form), status=400)
                services.help_assign(actor=actor, request=obj, **form.cleaned_data)
                messages.success(request, _("The request is assigned."))
            elif action == "done":
                obj, token = services.help_mark_done(actor=actor, request=obj, note=request.POST.get("note", ""))
                confirm_url = request.build_absolute_uri(reverse("livelihood:confirm", args=[token]))
                messages.success(request, _("Marked done. Send the household its confirmation link."))
            elif action == "new_link":
                token = services.help_new_link(actor=actor, request=obj)
                confirm_url = request.build_absolute_uri(reverse("livelihood:confirm", args=[token]))
            elif action == "call":
                services.help_confirm_by_call(actor=actor, request=obj, note=request.POST.get("note", ""))
                messages.success(request, _("Closed after the community's call."))
            else:
                return HttpResponse(status=400)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        if confirm_url:
            # The link is shown this once (only its digest is kept): render, do not redirect.
            return self.render_to_response(self.get_context_data(confirm_url=confirm_url))
        return redirect(obj)


class HelpRevealView(ScopedRevealView):
    """The household's phone in clear for whoever carries out or closes the request (audited)."""

    model = HelpRequest


class ConfirmView(View):
    """The household's one-time confirmation page: no login. A GET only shows what was done (link
    previews must not close anything); the POST closes the request and uses the link up. A forged,
    used or replaced link answers the same "not valid" page."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        found = services.help_by_token(token)
        return render(request, "livelihood/confirm.html", {"found": found}, status=200 if found else 404)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        closed = services.help_confirm_by_household(token=token)
        return render(request, "livelihood/confirm.html", {"closed": closed}, status=200 if closed else 404)
