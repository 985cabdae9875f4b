from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import PassKind, PassStatus
from .models import Pass
from .numbering import NumberError, parse_number


class PassFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q", max_length=50)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PassKind.choices, empty_label=pgettext_lazy("pass filter", "All"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=PassStatus.choices, empty_label=pgettext_lazy("pass filter", "All"),
    )
    unit = django_filters.NumberFilter(label=_("Unit (with units below)"), method="filter_unit")

    class Meta:
        model = Pass
        fields = ["q", "kind", "status", "unit"]

    def filter_q(self, qs: QuerySet[Pass], name: str, value: str) -> QuerySet[Pass]:
        value = value.strip()
        try:
            number = parse_number(value)  # typed with or without hyphens, in any case
        except NumberError:
            number = value
        return qs.filter(Q(number__iexact=number) | Q(plate__icontains=value.upper()) | Q(person__name__contains=value))

    def filter_unit(self, qs: Any, name: str, value: int) -> Any:
        return qs.under(int(value))
