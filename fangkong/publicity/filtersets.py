"""One FilterSet per list, for the page and the API."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import DeedStatus, MaterialKind, PushKind
from .models import Material, MediaPush, ModelDeed, OfficialForward, PledgeSignature


def _under(qs: QuerySet[Any], field: str, value: Any) -> QuerySet[Any]:
    from fangkong.core.scoping import subtree_query

    return qs.filter(**{f"{field}__in": subtree_query(int(value))}) if value else qs


class MaterialFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=MaterialKind.choices)
    unit = django_filters.NumberFilter(label=_("Unit (with units below)"), method="filter_unit")
    since = django_filters.DateFilter(label=_("From"), field_name="issued_on", lookup_expr="gte")
    until = django_filters.DateFilter(label=_("To"), field_name="issued_on", lookup_expr="lte")

    class Meta:
        model = Material
        fields = ["kind", "unit", "since", "until"]

    def filter_unit(self, qs: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return _under(qs, "unit", value)


class MediaPushFilterSet(django_filters.FilterSet):
    outlet = django_filters.NumberFilter(label=_("Outlet"), field_name="outlet_id")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PushKind.choices)
    unit = django_filters.NumberFilter(label=_("Unit (with units below)"), method="filter_unit")
    since = django_filters.DateFilter(label=_("From"), field_name="pushed_on", lookup_expr="gte")
    until = django_filters.DateFilter(label=_("To"), field_name="pushed_on", lookup_expr="lte")

    class Meta:
        model = MediaPush
        fields = ["outlet", "kind", "unit", "since", "until"]

    def filter_unit(self, qs: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return _under(qs, "unit", value)


class ForwardFilterSet(django_filters.FilterSet):
    unit = django_filters.NumberFilter(label=_("Unit (with units below)"), method="filter_unit")
    since = django_filters.DateFilter(label=_("From"), field_name="day", lookup_expr="gte")
    until = django_filters.DateFilter(label=_("To"), field_name="day", lookup_expr="lte")

    class Meta:
        model = OfficialForward
        fields = ["unit", "since", "until"]

    def filter_unit(self, qs: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return _under(qs, "unit", value)


class SignatureFilterSet(django_filters.FilterSet):
    pledge = django_filters.NumberFilter(label=_("Pledge"), field_name="pledge_id")
    unit = django_filters.NumberFilter(label=_("Unit (with units below)"), method="filter_unit")
    until = django_filters.DateFilter(label=_("Signed by"), method="filter_until")

    class Meta:
        model = PledgeSignature
        fields = ["pledge", "unit", "until"]

    def filter_unit(self, qs: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return _under(qs, "unit", value)

    def filter_until(self, qs: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        from .comparison import end_of

        return qs.filter(signed_at__lt=end_of(value)) if value else qs


class DeedFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=DeedStatus.choices)
    published_before = django_filters.IsoDateTimeFilter(label=_("Published before"), field_name="published_at",
                                                        lookup_expr="lt")

    class Meta:
        model = ModelDeed
        fields = ["status", "published_before"]
