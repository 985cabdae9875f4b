"""One FilterSet per list, for its page and the API alike. The ``*_on`` filters are the
statements the command picture, ``fangkong stats`` and the workbench count with."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from fangkong.core.filters import AllBooleanFilter

from . import selectors
from .choices import Direction, ItemStatus, Status
from .models import Document, DocumentKind, DocumentRecipient, Instruction, InstructionItem


class DocumentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q", max_length=50)
    kind = django_filters.ModelChoiceFilter(label=_("Kind"), queryset=DocumentKind.objects.all())
    direction = django_filters.ChoiceFilter(label=_("Direction"), choices=Direction.choices,
                                            field_name="kind__direction")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    issued_on = django_filters.DateFilter(label=_("Issued on or before"), method="filter_issued_on")

    class Meta:
        model = Document
        fields = ["q", "kind", "direction", "status", "issued_on"]

    def filter_q(self, qs: QuerySet[Document], name: str, value: str) -> QuerySet[Document]:
        return qs.filter(Q(title__icontains=value) | Q(number__icontains=value)) if value else qs

    def filter_issued_on(self, qs: QuerySet[Document], name: str, value: dt.date | None) -> QuerySet[Document]:
        return selectors.issued_by(qs, value) if value else qs


class RecipientFilterSet(django_filters.FilterSet):
    document = django_filters.NumberFilter(label=_("Document"), field_name="document_id")
    signed = AllBooleanFilter(label=_("Signed for"), field_name="signed_at", lookup_expr="isnull", exclude=True)
    unsigned_on = django_filters.DateFilter(label=_("Not signed for at the end of"), method="filter_unsigned")
    reply_overdue_on = django_filters.DateFilter(label=_("Reply overdue on"), method="filter_overdue")

    class Meta:
        model = DocumentRecipient
        fields = ["document", "signed", "unsigned_on", "reply_overdue_on"]

    def filter_unsigned(self, qs: QuerySet[DocumentRecipient], name: str, value: Any) -> QuerySet[DocumentRecipient]:
        return selectors.unsigned_receipts(qs, value) if value else qs

    def filter_overdue(self, qs: QuerySet[DocumentRecipient], name: str, value: Any) -> QuerySet[DocumentRecipient]:
        return selectors.replies_overdue(qs, value) if value else qs


class InstructionFilterSet(django_filters.FilterSet):
    document = django_filters.NumberFilter(label=_("Document"), field_name="document_id")
    open_on = django_filters.DateFilter(label=_("Open at the end of"), method="filter_open")
    closed = AllBooleanFilter(label=_("Closed"), field_name="closed_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Instruction
        fields = ["document", "open_on", "closed"]

    def filter_open(self, qs: QuerySet[Instruction], name: str, value: Any) -> QuerySet[Instruction]:
        return selectors.instructions_open(qs, value) if value else qs


class ItemFilterSet(django_filters.FilterSet):
    instruction = django_filters.NumberFilter(label=_("Instruction"), field_name="instruction_id")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ItemStatus.choices)
    open_on = django_filters.DateFilter(label=_("Open at the end of"), method="filter_open")
    overdue_on = django_filters.DateFilter(label=_("Overdue on"), method="filter_overdue")

    class Meta:
        model = InstructionItem
        fields = ["instruction", "status", "open_on", "overdue_on"]

    def filter_open(self, qs: QuerySet[InstructionItem], name: str, value: Any) -> QuerySet[InstructionItem]:
        return selectors.items_open(qs, value) if value else qs

    def filter_overdue(self, qs: QuerySet[InstructionItem], name: str, value: Any) -> QuerySet[InstructionItem]:
        return selectors.items_overdue(qs, value) if value else qs
