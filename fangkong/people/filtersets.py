"""One FilterSet for the person list page, its export and the API."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from fangkong.core.filters import AllBooleanFilter

from .choices import Position
from .models import Person
from .selectors import may_match_numbers, order_people, search_q


class PersonFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q", max_length=50)
    unit = django_filters.NumberFilter(label=_("Unit (with units below)"), method="filter_unit")
    position = django_filters.ChoiceFilter(label=_("Position"), choices=Position.choices)
    is_cadre = AllBooleanFilter(label=_("Cadre"))
    is_party_member = AllBooleanFilter(label=_("Party member"))
    ordering = django_filters.CharFilter(label=_("Ordering"), method="filter_ordering", max_length=20)

    class Meta:
        model = Person
        fields = ["q", "unit", "position", "is_cadre", "is_party_member"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Whose search this is (the request's user, or a command's --user): a full ID number or
        # phone is matched only for a role that may reveal it.
        self.user = user if user is not None else getattr(self.request, "user", None)

    def filter_q(self, qs: QuerySet[Person], name: str, value: Any) -> QuerySet[Person]:
        return qs.filter(search_q(value or "", full_numbers=may_match_numbers(self.user)))

    def filter_unit(self, qs: QuerySet[Person], name: str, value: Any) -> QuerySet[Person]:
        # The subtree is intersected with visible_to() already applied to qs: no way out of scope.
        return qs.under(int(value)) if value else qs  # type: ignore[attr-defined]

    def filter_ordering(self, qs: QuerySet[Person], name: str, value: Any) -> QuerySet[Person]:
        return order_people(qs, value)
