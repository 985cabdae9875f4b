"""One FilterSet per list, for the page, its export and the API."""

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.filters import AllBooleanFilter

from .choices import Category, DonorKind, NeedStatus, Source
from .models import Distribution, Donor, Intake, Need, Pledge, Receipt, StockMove, SupplierLead


def _subtree(qs: QuerySet[Any], field: str, value: Any) -> QuerySet[Any]:
    from fangkong.core.scoping import subtree_query

    return qs.filter(**{f"{field}__in": subtree_query(int(value))}) if value else qs


class DonorFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains", max_length=50)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=DonorKind.choices)
    given = AllBooleanFilter(label=_("Has given"), method="filter_given")
    given_until = django_filters.DateFilter(label=_("Had given by"), method="filter_given_until")

    class Meta:
        model = Donor
        fields = ["q", "kind", "given", "given_until"]

    def filter_given_until(self, qs: QuerySet[Donor], name: str, value: Any) -> QuerySet[Donor]:
        from .selectors import donors_until

        return donors_until(qs, value) if value else qs

    def filter_given(self, qs: QuerySet[Donor], name: str, value: bool | None) -> QuerySet[Donor]:
        if value is None:
            return qs
        given = Exists(Intake.objects.filter(donor=OuterRef("pk")))
        return qs.filter(given) if value else qs.filter(~given)


class PledgeFilterSet(django_filters.FilterSet):
    donor = django_filters.NumberFilter(label=_("Donor"), field_name="donor_id")
    item = django_filters.NumberFilter(label=pgettext_lazy("donations", "Item"), field_name="item_id")

    class Meta:
        model = Pledge
        fields = ["donor", "item"]


class LeadFilterSet(django_filters.FilterSet):
    item = django_filters.NumberFilter(label=pgettext_lazy("donations", "Item"), field_name="item_id")

    class Meta:
        model = SupplierLead
        fields = ["item"]


class IntakeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q", max_length=50)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Source.choices)
    item = django_filters.NumberFilter(label=pgettext_lazy("donations", "Item"), field_name="item_id")
    store = django_filters.NumberFilter(label=_("Store"), field_name="store_id")
    donor = django_filters.NumberFilter(label=_("Donor"), field_name="donor_id")
    category = django_filters.ChoiceFilter(label=pgettext_lazy("donations", "Category"), choices=Category.choices, field_name="item__category")
    until = django_filters.DateFilter(label=_("Received until"), field_name="received_on", lookup_expr="lte")

    class Meta:
        model = Intake
        fields = ["q", "source", "item", "store", "donor", "category", "until"]

    def filter_q(self, qs: QuerySet[Intake], name: str, value: str) -> QuerySet[Intake]:
        return qs.filter(Q(number__icontains=value) | Q(donor__name__icontains=value)) if value else qs


class NeedFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=NeedStatus.choices)
    item = django_filters.NumberFilter(label=pgettext_lazy("donations", "Item"), field_name="item_id")
    unit = django_filters.NumberFilter(label=_("Unit (with units below)"), method="filter_unit")
    until = django_filters.DateFilter(label=_("Raised until"), field_name="raised_on", lookup_expr="lte")

    class Meta:
        model = Need
        fields = ["status", "item", "unit", "until"]

    def filter_unit(self, qs: QuerySet[Need], name: str, value: Any) -> QuerySet[Need]:
        return _subtree(qs, "unit", value)


class DistributionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Waybill number"), field_name="number", lookup_expr="icontains",
                                  max_length=20)
    signed = AllBooleanFilter(label=pgettext_lazy("donations", "Signed for"), method="filter_signed")
    item = django_filters.NumberFilter(label=pgettext_lazy("donations", "Item"), field_name="item_id")
    unit = django_filters.NumberFilter(label=_("Receiving unit (with units below)"), method="filter_unit")
    until = django_filters.DateFilter(label=_("Dispatched until"), field_name="dispatched_on", lookup_expr="lte")
    unsigned_on = django_filters.DateFilter(label=_("Not signed for at the end of"), method="filter_unsigned_on")

    class Meta:
        model = Distribution
        fields = ["q", "signed", "item", "unit", "until", "unsigned_on"]

    def filter_unsigned_on(self, qs: QuerySet[Distribution], name: str, value: Any) -> QuerySet[Distribution]:
        from .selectors import unsigned

        return unsigned(qs, value) if value else qs

    def filter_signed(self, qs: QuerySet[Distribution], name: str, value: bool | None) -> QuerySet[Distribution]:
        if value is None:
            return qs
        signed = Exists(Receipt.objects.filter(distribution=OuterRef("pk")))
        return qs.filter(signed) if value else qs.filter(~signed)

    def filter_unit(self, qs: QuerySet[Distribution], name: str, value: Any) -> QuerySet[Distribution]:
        return _subtree(qs, "to_unit", value)


class ReceiptFilterSet(django_filters.FilterSet):
    distribution = django_filters.NumberFilter(label=_("Distribution"), field_name="distribution_id")

    class Meta:
        model = Receipt
        fields = ["distribution"]


class StockMoveFilterSet(django_filters.FilterSet):
    store = django_filters.NumberFilter(label=_("Store"), field_name="store_id")
    item = django_filters.NumberFilter(label=pgettext_lazy("donations", "Item"), field_name="item_id")
    until = django_filters.DateFilter(label=_("Until"), field_name="moved_on", lookup_expr="lte")

    class Meta:
        model = StockMove
        fields = ["store", "item", "until"]
