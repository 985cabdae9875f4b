import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import Action
from .models import AuditEntry


class AuditEntryFilterSet(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(label=_("Action"), choices=Action.choices)
    actor = django_filters.CharFilter(label=_("User"), field_name="actor_name", lookup_expr="iexact", max_length=150)
    object_type = django_filters.CharFilter(label=_("Object type"), max_length=60)
    since = django_filters.DateFilter(label=_("From"), field_name="at", lookup_expr="date__gte")
    until = django_filters.DateFilter(label=_("Until"), field_name="at", lookup_expr="date__lte")

    class Meta:
        model = AuditEntry
        fields = ["action", "actor", "object_type", "since", "until"]
