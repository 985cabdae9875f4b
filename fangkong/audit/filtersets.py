from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import Action
from .models import AuditEntry
from .registry import listed_types


def object_type_choices() -> list[tuple[str, str]]:
    """The object types a reader can pick, by their Chinese noun (the stored key stays internal)."""
    return [(t.key, t.noun) for t in listed_types()]


class AuditEntryFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise ValidationError(_("The start date is after the end date."))
        return data


class AuditEntryFilterSet(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(label=_("Action"), choices=Action.choices, empty_label=_("All"))
    object_type = django_filters.ChoiceFilter(label=_("Object type"), choices=object_type_choices,
                                              empty_label=_("All"))
    actor = django_filters.CharFilter(label=_("User"), method="filter_actor", max_length=150)
    since = django_filters.DateFilter(label=_("From"), field_name="at", lookup_expr="date__gte")
    until = django_filters.DateFilter(label=_("Until"), field_name="at", lookup_expr="date__lte")

    class Meta:
        model = AuditEntry
        fields = ["action", "object_type", "actor", "since", "until"]
        form = AuditEntryFilterForm

    def filter_actor(self, qs: QuerySet[AuditEntry], name: str, value: str) -> QuerySet[AuditEntry]:
        """By user name, or by the account holder's name as the sentences show it."""
        text = value.strip()
        if not text:
            return qs
        return qs.filter(Q(actor_name__iexact=text) | Q(actor__full_name__icontains=text))
