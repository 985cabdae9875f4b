"""One FilterSet for the secondment list page and the API."""

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from fangkong.core.filters import AllBooleanFilter
from fangkong.people.selectors import may_match_numbers, search_q

from .choices import SecondmentRole
from .models import Secondment, Shift
from .selectors import active_on


class SecondmentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q", max_length=50)
    department = django_filters.NumberFilter(label=_("Sending department"), field_name="department_id")
    place = django_filters.NumberFilter(label=_("Placed at (with units below)"), method="filter_place")
    placed = AllBooleanFilter(label=_("Placed"), field_name="unit", lookup_expr="isnull", exclude=True)
    role = django_filters.ChoiceFilter(label=_("Role"), choices=SecondmentRole.choices)
    on = django_filters.DateFilter(label=_("Seconded on"), method="filter_on")

    class Meta:
        model = Secondment
        fields = ["q", "department", "place", "placed", "role", "on"]

    def filter_q(self, qs: QuerySet[Secondment], name: str, value: Any) -> QuerySet[Secondment]:
        from fangkong.people.models import Person

        # A full ID number or phone is matched only for a role that may reveal it (people.selectors).
        query = search_q(value or "", full_numbers=may_match_numbers(getattr(self.request, "user", None)))
        return qs.filter(person__in=Person.objects.filter(query).values("id")) if value else qs

    def filter_place(self, qs: QuerySet[Secondment], name: str, value: Any) -> QuerySet[Secondment]:
        from fangkong.core.scoping import subtree_query

        return qs.filter(unit__in=subtree_query(int(value))) if value else qs

    def filter_on(self, qs: QuerySet[Secondment], name: str, value: dt.date | None) -> QuerySet[Secondment]:
        return qs.filter(active_on(value)) if value else qs


class ShiftFilterSet(django_filters.FilterSet):
    checkpoint = django_filters.NumberFilter(label=_("Checkpoint (or a unit above it)"), method="filter_checkpoint")
    day = django_filters.DateFilter(label=_("Day"), method="filter_day")
    gaps = AllBooleanFilter(label=_("Only shifts short of staff"), method="filter_gaps")

    class Meta:
        model = Shift
        fields = ["checkpoint", "day", "gaps"]

    def filter_checkpoint(self, qs: QuerySet[Shift], name: str, value: Any) -> QuerySet[Shift]:
        from fangkong.core.scoping import subtree_query

        return qs.filter(checkpoint__in=subtree_query(int(value))) if value else qs

    def filter_day(self, qs: QuerySet[Shift], name: str, value: dt.date | None) -> QuerySet[Shift]:
        if not value:
            return qs
        from fangkong.returnees.selectors import end_of_day

        return qs.filter(starts_at__gte=end_of_day(value - dt.timedelta(days=1)), starts_at__lt=end_of_day(value))

    def filter_gaps(self, qs: QuerySet[Shift], name: str, value: bool | None) -> QuerySet[Shift]:
        return qs.filter(gap__gt=0) if value else qs  # type: ignore[misc]  # annotated by shifts_with_staffing
