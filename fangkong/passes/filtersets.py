from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.filters import AllBooleanFilter

from .choices import PassKind, PassStatus, Verdict
from .models import Pass, PassCheck
from .numbering import NumberError, parse_number


class PassFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q", max_length=50)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PassKind.choices, empty_label=pgettext_lazy("pass filter", "All"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=PassStatus.choices, empty_label=pgettext_lazy("pass filter", "All"),
    )
    unit = django_filters.NumberFilter(label=_("Unit (with units below)"), method="filter_unit")
    issued_before = django_filters.IsoDateTimeFilter(label=_("Issued before"), field_name="issued_at", lookup_expr="lt")

    class Meta:
        model = Pass
        fields = ["q", "kind", "status", "unit", "issued_before"]

    def filter_q(self, qs: QuerySet[Pass], name: str, value: str) -> QuerySet[Pass]:
        value = value.strip()
        try:
            number = parse_number(value)  # typed with or without hyphens, in any case
        except NumberError:
            number = value
        return qs.filter(Q(number__iexact=number) | Q(plate__icontains=value.upper()) | Q(person__name__contains=value))

    def filter_unit(self, qs: Any, name: str, value: int) -> Any:
        return qs.under(int(value))


class PassCheckFilterSet(django_filters.FilterSet):
    """The passage log: checks in a time window, by verdict, refusals only."""

    since = django_filters.IsoDateTimeFilter(label=_("Checked from"), field_name="checked_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(label=_("Checked before"), field_name="checked_at", lookup_expr="lt")
    verdict = django_filters.ChoiceFilter(label=_("Verdict"), choices=Verdict.choices)
    refused = AllBooleanFilter(label=_("Refused only"), method="filter_refused")

    class Meta:
        model = PassCheck
        fields = ["since", "until", "verdict", "refused"]

    def filter_refused(self, qs: QuerySet[PassCheck], name: str, value: bool | None) -> QuerySet[PassCheck]:
        if value is None:
            return qs
        return qs.exclude(verdict=Verdict.VALID) if value else qs.filter(verdict=Verdict.VALID)
