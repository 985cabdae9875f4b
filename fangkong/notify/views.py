"""Pages of the notification app: a user's inbox, the channels of the units in scope, the
deliveries that failed or are being retried, and the "remind now" action of the daily-report board."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from fangkong.core.scoping import user_has_perm
from fangkong.core.views import ScopedMixin, is_htmx, page_size_from

from . import selectors, services
from .choices import DeliveryStatus
from .forms import ChannelForm
from .models import Channel, Delivery


def back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to ``next`` or the referring page when it is on this site, else to ``default``."""
    for candidate in (request.POST.get("next"), request.headers.get("Referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(candidate)
    return redirect(default)


def service_error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


class InboxView(LoginRequiredMixin, TemplateView):
    template_name = "notify/inbox.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        qs = selectors.inbox(self.request.user)  # type: ignore[arg-type]
        if self.request.GET.get("unread"):
            qs = qs.filter(read_at__isnull=True)
        if self.request.GET.get("kind") == "escalation":
            # Missing units reported up the line (the workbench's "unread escalations").
            qs = qs.filter(message__kind__in=selectors.ESCALATION_KINDS)
        page = Paginator(qs, page_size_from(self.request, 30)).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(page_obj=page, object_list=page.object_list, querystring=query.urlencode(),
                       filtered=bool(query), can_see_failures=user_has_perm(self.request.user, "notify.view"))
        return context


class InboxReadView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        ids: list[int] | None = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
        if not ids and "only_listed" not in request.POST:
            ids = None  # "mark all as read"
        services.inbox_mark_read(user=request.user, delivery_ids=ids)  # type: ignore[arg-type]
        return back(request, reverse("notify:inbox"))


class ChannelListView(ScopedMixin, TemplateView):
    model = Channel
    template_name = "notify/channel_list.html"

    def form(self) -> ChannelForm:
        data = self.request.POST if self.request.method == "POST" else None
        return ChannelForm(data, user=self.request.user, initial={"unit": self.request.GET.get("unit")})

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        qs = self.get_queryset().select_related("unit").order_by("unit__code", "kind", "id")
        page = Paginator(qs, page_size_from(self.request, 50)).get_page(self.request.GET.get("page"))
        can_change = user_has_perm(self.request.user, "notify.change")
        context.update(page_obj=page, object_list=page.object_list, querystring="", can_change=can_change)
        if can_change:
            context.setdefault("form", self.form())
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        self.require("change")
        form = self.form()
        if form.is_valid():
            try:
                services.channel_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as exc:
                from fangkong.core.forms import add_service_errors

                add_service_errors(form, exc)
            else:
                messages.success(request, _("The channel was added."))
                return redirect("notify:channel_list")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ChannelDeleteView(ScopedMixin, View):
    model = Channel

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.require("change")
        channel = get_object_or_404(Channel.objects.editable_by(request.user), pk=pk)
        services.channel_delete(actor=request.user, channel=channel)  # type: ignore[arg-type]
        messages.success(request, _("The channel was removed."))
        return redirect("notify:channel_list")


class ChannelTestView(ScopedMixin, View):
    """Sends a test message on one channel now and says at once whether it arrived."""

    model = Channel

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.require("change")
        channel = get_object_or_404(Channel.objects.editable_by(request.user), pk=pk)
        delivery = services.channel_test(actor=request.user, channel=channel)  # type: ignore[arg-type]
        # Sent here rather than by the worker: the person who clicked waits for the answer.
        attempted = services.delivery_attempt(delivery.pk) or delivery
        if attempted.status == DeliveryStatus.SENT:
            messages.success(request, _("The test message was sent."))
        else:
            messages.error(request, _("The test message failed: %(error)s") % {"error": attempted.last_error})
        return redirect("notify:channel_list")


class DeliveryListView(ScopedMixin, TemplateView):
    """For the committee office: what did not arrive, on which channel, why, and when the next try is."""

    model = Delivery
    template_name = "notify/delivery_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        show = self.request.GET.get("show", "troubled")
        if show == "all":
            qs = self.get_queryset().select_related("message", "message__unit", "channel", "user")
        else:
            qs = selectors.troubled_deliveries(self.request.user)
        page = Paginator(qs.order_by("-id"), page_size_from(self.request, 50)).get_page(self.request.GET.get("page"))
        context.update(
            page_obj=page, object_list=page.object_list, querystring=f"show={show}", show=show,
            can_retry=user_has_perm(self.request.user, "notify.change"),
        )
        return context


class DeliveryRetryView(ScopedMixin, View):
    model = Delivery

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.require("change")
        delivery = get_object_or_404(Delivery.objects.editable_by(request.user), pk=pk)
        try:
            services.delivery_retry(actor=request.user, delivery=delivery)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, service_error_text(exc))
        else:
            messages.success(request, _("The message will be sent again shortly."))
        return redirect("notify:delivery_list")


class RemindUnitsView(LoginRequiredMixin, View):
    """"One click to remind" on the daily-report board: POST ``template``, ``day`` and ``units``
    (repeated ids). Units outside the user's scope refuse the whole request; nothing is sent."""

    def post(self, request: HttpRequest) -> HttpResponse:
        from fangkong.reports.reminders import remind_units

        if not user_has_perm(request.user, "reports.remind"):
            raise PermissionDenied
        try:
            template_id = int(request.POST.get("template", ""))
            day = dt.date.fromisoformat(request.POST.get("day", ""))
            unit_ids = [int(u) for u in request.POST.getlist("units")]
        except ValueError:
            return self.answer(request, _("The reminder request is incomplete."), ok=False)
        try:
            sent = remind_units(actor=request.user, template_id=template_id, day=day, unit_ids=unit_ids)  # type: ignore[arg-type]
        except ValidationError as exc:
            return self.answer(request, service_error_text(exc), ok=False)
        if sent:
            text = _("A reminder went to %(count)d units.") % {"count": sent}
        else:
            text = _("These units were reminded a moment ago; nothing was sent again.")
        return self.answer(request, text, ok=True)

    def answer(self, request: HttpRequest, text: str, *, ok: bool) -> HttpResponse:
        if is_htmx(request):
            return render(request, "notify/_remind_result.html", {"text": text, "ok": ok}, status=200 if ok else 400)
        (messages.success if ok else messages.error)(request, text)
        return back(request, reverse("notify:inbox"))

