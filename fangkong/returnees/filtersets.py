"""One FilterSet for the ledger list page, its export, the CLI export and the API."""

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from fangkong.core import clock
from fangkong.core.filters import AllBooleanFilter
from fangkong.core.idcard import id_digest, normalize_id_number, phone_digest
from fangkong.core.scoping import user_has_perm

from .choices import Category, DualState, IsolationState, Line
from .models import Returnee

ORDERINGS = {
    "return_date": ("return_date", "id"),
    "-return_date": ("-return_date", "-id"),
    "name": ("name", "id"),
    "unit": ("unit__code", "id"),
    "community": ("community__code", "id"),
}


def last_day_q(day: dt.date) -> Q:
    """Returnees whose isolation's last day is ``day``: it ends the next morning, not released before."""
    return Q(isolation__planned_end=day + dt.timedelta(days=1)) & (
        Q(isolation__released_on__isnull=True) | Q(isolation__released_on__gt=day))


# The ledger's dual-report states, and two more the command picture links to.
DUAL_FILTER_CHOICES = [
    *DualState.choices,
    ("one_side", _("Missing a side")),
    ("suspect", _("Concealment suspect")),
]


class ReturneeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q", max_length=50)
    line = django_filters.ChoiceFilter(label=_("Screening line"), choices=Line.choices)
    unit = django_filters.NumberFilter(label=_("Unit (with units below)"), method="filter_unit")
    community = django_filters.NumberFilter(label=_("Community"), field_name="community_id")
    coordinating_body = django_filters.NumberFilter(label=_("Coordinating body"), field_name="coordinating_body_id")
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    dual = django_filters.ChoiceFilter(label=_("Dual report"), choices=DUAL_FILTER_CHOICES, method="filter_dual")
    # As the ledger stood at a moment: people registered on a side before it; "dual" then reads
    # the sides registered before it too (the command picture's figures link here).
    as_of = django_filters.IsoDateTimeFilter(label=_("As of"), method="filter_as_of")
    isolation = django_filters.ChoiceFilter(label=_("Isolation"), choices=IsolationState.choices,
                                            method="filter_isolation")
    last_day = django_filters.DateFilter(label=_("Last day of isolation"), method="filter_last_day")
    suspect = AllBooleanFilter(label=_("Registered by a community only, employer named"),
                                           method="filter_suspect")
    returned_from = django_filters.DateFilter(label=_("Returned from"), field_name="return_date", lookup_expr="gte")
    returned_to = django_filters.DateFilter(label=_("Returned until"), field_name="return_date", lookup_expr="lte")
    ordering = django_filters.CharFilter(label=_("Ordering"), method="filter_ordering", max_length=20)

    class Meta:
        model = Returnee
        fields = ["q", "line", "unit", "community", "coordinating_body", "category", "dual", "isolation",
                  "last_day", "suspect", "returned_from", "returned_to", "as_of"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Whose search this is (the request's user, or a command's --user): a full ID number or
        # phone is matched only for a role that may reveal it, or each hit would be an oracle (the
        # mask leaves a few thousand candidates for an ID number, each one search away).
        self.user = user if user is not None else getattr(self.request, "user", None)

    def filter_q(self, qs: QuerySet[Returnee], name: str, value: Any) -> QuerySet[Returnee]:
        text = (value or "").strip()
        if not text:
            return qs
        query = Q(name__icontains=text)
        if text.isdigit() and len(text) == 4:
            query |= Q(phone_masked__endswith=text)
        full = self.user is not None and user_has_perm(self.user, "returnees.reveal")
        if full and text.isdigit() and len(text) == 11:
            query |= Q(phone_digest=phone_digest(text))
        number = normalize_id_number(text)
        if full and len(number) == 18:
            query |= Q(id_digest=id_digest(number))
        return qs.filter(query)

    def filter_unit(self, qs: QuerySet[Returnee], name: str, value: Any) -> QuerySet[Returnee]:
        return qs.under(int(value)) if value else qs  # type: ignore[attr-defined]

    def filter_as_of(self, qs: QuerySet[Returnee], name: str, value: Any) -> QuerySet[Returnee]:
        from .selectors import _filters

        return qs.filter(_filters(value)["returnees"]) if value else qs

    def filter_dual(self, qs: QuerySet[Returnee], name: str, value: Any) -> QuerySet[Returnee]:
        moment = self.form.cleaned_data.get("as_of")
        if moment:
            unit, community = Q(unit_reported_at__lt=moment), Q(community_reported_at__lt=moment)
        else:
            unit, community = Q(unit_reported_at__isnull=False), Q(community_reported_at__isnull=False)
        return {
            DualState.BOTH: qs.filter(unit & community),
            DualState.UNIT_ONLY: qs.filter(unit & ~community),
            DualState.COMMUNITY_ONLY: qs.filter(community & ~unit),
            "one_side": qs.filter((unit & ~community) | (community & ~unit)),
            "suspect": qs.filter(community & ~unit & Q(unit__isnull=False)),
        }.get(value, qs)

    def filter_last_day(self, qs: QuerySet[Returnee], name: str, value: Any) -> QuerySet[Returnee]:
        """People whose isolation's last day (the last follow-up; release the next morning) is ``value``."""
        return qs.filter(last_day_q(value)) if value else qs

    def filter_suspect(self, qs: QuerySet[Returnee], name: str, value: Any) -> QuerySet[Returnee]:
        """The concealment suspects of the reconciliation: a community registered the person and
        named the employer, and the employer has not reported them."""
        if value is None:
            return qs
        suspect = Q(community_reported_at__isnull=False, unit_reported_at__isnull=True, unit__isnull=False)
        return qs.filter(suspect) if value else qs.exclude(suspect)

    def filter_isolation(self, qs: QuerySet[Returnee], name: str, value: Any) -> QuerySet[Returnee]:
        day = clock.today()
        active = Q(isolation__start_date__lte=day, isolation__planned_end__gt=day) & (
            Q(isolation__released_on__isnull=True) | Q(isolation__released_on__gt=day))
        return {
            IsolationState.NONE: qs.filter(isolation__isnull=True),
            IsolationState.ACTIVE: qs.filter(active),
            IsolationState.RELEASED: qs.filter(isolation__released_on__lte=day),
            IsolationState.ENDED: qs.filter(isolation__planned_end__lte=day).exclude(isolation__released_on__lte=day),
        }.get(value, qs)

    def filter_ordering(self, qs: QuerySet[Returnee], name: str, value: Any) -> QuerySet[Returnee]:
        return qs.order_by(*ORDERINGS.get(value or "", ORDERINGS["-return_date"]))
