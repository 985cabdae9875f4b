"""One FilterSet per list, for the page and the API."""

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core import clock
from fangkong.core.filters import AllBooleanFilter

from . import selectors
from .choices import HelpKind, HelpStatus, Light
from .models import ChannelVolume, HelpRequest, WindowService


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    parsed = parse_datetime(str(value or ""))
    if parsed is None:
        return None
    from django.utils import timezone

    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


class HelpRequestFilterSet(django_filters.FilterSet):
    community = django_filters.NumberFilter(label=_("Community"), method="filter_community")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=HelpStatus.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=HelpKind.choices)
    light = django_filters.ChoiceFilter(label=_("Light"), choices=Light.choices, method="filter_light")
    open_at = django_filters.CharFilter(label=_("Not done at"), method="filter_open_at")
    overdue_at = django_filters.CharFilter(label=_("Overdue at"), method="filter_overdue_at")
    closed_before = django_filters.CharFilter(label=_("Closed before"), method="filter_closed_before")
    registered_before = django_filters.CharFilter(label=_("Registered before"), method="filter_registered_before")

    class Meta:
        model = HelpRequest
        fields = ["community", "status", "kind", "light"]

    def filter_community(self, qs: QuerySet[HelpRequest], name: str, value: Any) -> QuerySet[HelpRequest]:
        return qs.filter(community_id=int(value)) if value else qs

    def filter_light(self, qs: QuerySet[HelpRequest], name: str, value: str) -> QuerySet[HelpRequest]:
        return qs.filter(selectors.light_q(value, clock.now())) if value else qs

    def _at(self, qs: QuerySet[HelpRequest], value: Any, fn: Any) -> QuerySet[HelpRequest]:
        moment = _moment(value)
        return fn(qs, moment) if moment is not None else qs.none()

    def filter_open_at(self, qs: QuerySet[HelpRequest], name: str, value: Any) -> QuerySet[HelpRequest]:
        return self._at(qs, value, selectors.open_at) if value else qs

    def filter_overdue_at(self, qs: QuerySet[HelpRequest], name: str, value: Any) -> QuerySet[HelpRequest]:
        return self._at(qs, value, selectors.overdue_at) if value else qs

    def filter_closed_before(self, qs: QuerySet[HelpRequest], name: str, value: Any) -> QuerySet[HelpRequest]:
        return self._at(qs, value, selectors.closed_by) if value else qs

    def filter_registered_before(self, qs: QuerySet[HelpRequest], name: str, value: Any) -> QuerySet[HelpRequest]:
        return self._at(qs, value, selectors.registered_by) if value else qs


class VolumeFilterSet(django_filters.FilterSet):
    day = django_filters.DateFilter(label=_("Day"))
    since = django_filters.DateFilter(label=_("From"), field_name="day", lookup_expr="gte")
    until = django_filters.DateFilter(label=_("To"), field_name="day", lookup_expr="lte")
    department = django_filters.NumberFilter(label=_("Window department"), field_name="department_id")
    channel = django_filters.NumberFilter(label=pgettext_lazy("service channel", "Channel"), field_name="channel_id")
    service = django_filters.NumberFilter(label=_("Service"), field_name="service_id")
    running = AllBooleanFilter(label=_("Only rows with cases"), method="filter_running")

    class Meta:
        model = ChannelVolume
        fields = ["day", "since", "until", "department", "channel", "service"]

    def filter_running(self, qs: QuerySet[ChannelVolume], name: str, value: Any) -> QuerySet[ChannelVolume]:
        return qs.filter(count__gt=0) if value else qs


class ServiceFilterSet(django_filters.FilterSet):
    department = django_filters.NumberFilter(label=_("Window department"), field_name="department_id")
    channel = django_filters.NumberFilter(label=pgettext_lazy("service channel", "Channel"), field_name="channels")
    running_on = django_filters.DateFilter(label=_("Running on"), method="filter_running_on")

    class Meta:
        model = WindowService
        fields = ["department", "channel"]

    def filter_running_on(self, qs: QuerySet[WindowService], name: str, value: Any) -> QuerySet[WindowService]:
        if not value:
            return qs
        user = getattr(self.request, "user", None)
        volumes = ChannelVolume.objects.visible_to(user).filter(day=value, count__gt=0)  # type: ignore[attr-defined,arg-type]
        return qs.filter(id__in=volumes.values("service_id"))
