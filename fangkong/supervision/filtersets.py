"""One FilterSet per list, for the page, its export and the API."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core import clock
from fangkong.core.filters import AllBooleanFilter

from .choices import Answer, CaseStatus, ProblemSource, ProblemStatus
from .models import ExplanationRequest, Feedback, Investigation, Problem, Referral
from .selectors import YELLOW_DAYS

NO_ANY = Q(obeys=Answer.NO) | Q(publicity=Answer.NO) | Q(screening=Answer.NO) | Q(testing=Answer.NO)
LIGHTS = (("red", _("Overdue")), ("yellow", _("Due within 3 days")))


def _light(qs: QuerySet[Any], value: str, field: str) -> QuerySet[Any]:
    import datetime as dt

    today = clock.today()
    if value == "red":
        return qs.filter(**{f"{field}__lt": today})
    if value == "yellow":
        return qs.filter(**{f"{field}__gte": today, f"{field}__lte": today + dt.timedelta(days=YELLOW_DAYS)})
    return qs


class FeedbackFilterSet(django_filters.FilterSet):
    day = django_filters.DateFilter(label=_("Day"))
    community = django_filters.NumberFilter(label=_("Community"), field_name="community_id")
    department = django_filters.NumberFilter(label=_("Department"), field_name="department_id")
    group = django_filters.NumberFilter(label=_("Group"), method="filter_group")
    no = AllBooleanFilter(label=_("With a no"), method="filter_no")
    current = AllBooleanFilter(label=_("Current only"), field_name="is_current")
    covered_on = django_filters.DateFilter(label=_("Covered on"), method="filter_covered_on")

    class Meta:
        model = Feedback
        fields = ["day", "community", "department", "group", "no", "current", "covered_on"]

    def filter_covered_on(self, qs: QuerySet[Feedback], name: str, value: Any) -> QuerySet[Feedback]:
        from .models import Coverage
        from .selectors import covering_on

        return qs.filter(community__in=Coverage.objects.filter(covering_on(value)).values("community_id")) \
            if value else qs

    def filter_no(self, qs: QuerySet[Feedback], name: str, value: bool | None) -> QuerySet[Feedback]:
        if value is None:
            return qs
        return qs.filter(NO_ANY) if value else qs.exclude(NO_ANY)

    def filter_group(self, qs: QuerySet[Feedback], name: str, value: Any) -> QuerySet[Feedback]:
        from .models import Coverage

        return qs.filter(community__in=Coverage.objects.filter(group_id=value).values("community_id")) if value else qs


class ProblemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q", max_length=50)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=ProblemSource.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProblemStatus.choices)
    unit = django_filters.NumberFilter(label=_("Unit concerned"), field_name="unit_id")
    group = django_filters.NumberFilter(label=_("Group"), field_name="group_id")
    light = django_filters.ChoiceFilter(label=_("Deadline"), choices=LIGHTS, method="filter_light")
    found_to = django_filters.DateFilter(label=_("Found by"), field_name="found_on", lookup_expr="lte")

    class Meta:
        model = Problem
        fields = ["q", "source", "status", "unit", "group", "light", "found_to"]

    def filter_q(self, qs: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        return qs.filter(Q(summary__icontains=value) | Q(number__icontains=value)) if value else qs

    def filter_light(self, qs: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        return _light(qs.filter(status=ProblemStatus.OPEN, case__isnull=True), value, "deadline")


class CaseFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CaseStatus.choices)
    light = django_filters.ChoiceFilter(label=_("Deadline"), choices=LIGHTS, method="filter_light")
    open_on = django_filters.DateFilter(label=pgettext_lazy("problem", "Open on"), method="filter_open_on")
    rectifying_on = django_filters.DateFilter(label=_("Rectifying on"), method="filter_rectifying_on")
    overdue_on = django_filters.DateFilter(label=_("Overdue on"), method="filter_overdue_on")

    class Meta:
        model = Investigation
        fields = ["status", "light", "open_on", "rectifying_on", "overdue_on"]

    def filter_light(self, qs: QuerySet[Investigation], name: str, value: str) -> QuerySet[Investigation]:
        return (_light(qs.filter(status=CaseStatus.OPEN), value, "deadline")
                | _light(qs.filter(status=CaseStatus.RECTIFYING), value, "rectify_by"))

    def filter_open_on(self, qs: QuerySet[Investigation], name: str, value: Any) -> QuerySet[Investigation]:
        from .selectors import investigations_open_on

        return investigations_open_on(qs, value) if value else qs

    def filter_rectifying_on(self, qs: QuerySet[Investigation], name: str, value: Any) -> QuerySet[Investigation]:
        from .selectors import rectifications_open_on

        return rectifications_open_on(qs, value) if value else qs

    def filter_overdue_on(self, qs: QuerySet[Investigation], name: str, value: Any) -> QuerySet[Investigation]:
        from .selectors import overdue_on

        return overdue_on(qs, value) if value else qs


class RequestFilterSet(django_filters.FilterSet):
    answered = AllBooleanFilter(label=_("Answered"), method="filter_answered")
    pending = AllBooleanFilter(label=_("Waiting for an answer"), method="filter_pending")
    light = django_filters.ChoiceFilter(label=_("Deadline"), choices=LIGHTS, method="filter_light")

    class Meta:
        model = ExplanationRequest
        fields = ["answered", "pending", "light"]

    def filter_pending(self, qs: QuerySet[ExplanationRequest], name: str, value: bool | None) -> Any:
        if not value:
            return qs
        return qs.filter(answers__isnull=True).exclude(case__status=CaseStatus.CLOSED)

    def filter_answered(self, qs: QuerySet[ExplanationRequest], name: str, value: bool | None) -> Any:
        if value is None:
            return qs
        return qs.filter(answers__isnull=False).distinct() if value else qs.filter(answers__isnull=True)

    def filter_light(self, qs: QuerySet[ExplanationRequest], name: str, value: str) -> Any:
        return _light(qs.filter(answers__isnull=True).exclude(case__status=CaseStatus.CLOSED), value, "deadline")


class ReferralFilterSet(django_filters.FilterSet):
    body = django_filters.CharFilter(label=_("Receiving body"), field_name="body__code")
    outcome = AllBooleanFilter(label=_("Outcome received"), field_name="outcome", lookup_expr="isnull", exclude=True)
    referred_to = django_filters.DateFilter(label=_("Referred by"), field_name="referred_on", lookup_expr="lte")

    class Meta:
        model = Referral
        fields = ["body", "outcome", "referred_to"]
