"""One FilterSet for the unit list page and the API."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import UnitKind
from .models import Unit


class UnitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q", max_length=50)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=UnitKind.choices)
    parent = django_filters.NumberFilter(label=_("Parent unit"), field_name="parent_id")
    under = django_filters.NumberFilter(label=_("Under unit"), method="filter_under")
    open_on = django_filters.DateFilter(label=_("Open on"), method="filter_open_on")

    class Meta:
        model = Unit
        fields = ["q", "kind", "parent", "under", "open_on"]

    def filter_q(self, qs: QuerySet[Unit], name: str, value: Any) -> QuerySet[Unit]:
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(name__icontains=value) | Q(short_name__icontains=value) | Q(code__iexact=value))

    def filter_under(self, qs: QuerySet[Unit], name: str, value: Any) -> QuerySet[Unit]:
        return qs.under(int(value)) if value else qs  # type: ignore[attr-defined]

    def filter_open_on(self, qs: QuerySet[Unit], name: str, value: Any) -> QuerySet[Unit]:
        from .selectors import units_open_on

        return qs.filter(id__in=units_open_on(value).values("id")) if value else qs
