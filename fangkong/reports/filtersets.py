"""One FilterSet for the concealment review list and its API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from fangkong.core.filters import AllBooleanFilter

from .choices import FlagKind, FlagStatus
from .models import ConcealmentFlag


class ConcealmentFlagFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=FlagStatus.choices, empty_label=_("All"))
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=FlagKind.choices)
    day_from = django_filters.DateFilter(label=_("From"), field_name="day", lookup_expr="gte")
    day_to = django_filters.DateFilter(label=_("To"), field_name="day", lookup_expr="lte")
    unit = django_filters.NumberFilter(label=_("Unit"), field_name="unit_id")
    answered = AllBooleanFilter(
        label=_("The unit answered"), field_name="answered_at", lookup_expr="isnull", exclude=True,
    )
    raised_before = django_filters.IsoDateTimeFilter(label=_("Raised before"), field_name="raised_at", lookup_expr="lt")

    class Meta:
        model = ConcealmentFlag
        fields = ("status", "kind", "day_from", "day_to", "unit", "answered", "raised_before")
