"""Parsing the document forms; the rules live in documents.services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.forms import ModelPicker
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit

from .choices import Classification, Urgency
from .models import DocumentKind, IssuingBody

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
RECIPIENT_KINDS = (UnitKind.DEPARTMENT, UnitKind.COORDINATING_BODY, UnitKind.INDUSTRY_UNIT, UnitKind.STREET,
                   UnitKind.COMMUNITY, UnitKind.WORKING_COMMITTEE, UnitKind.CITY)


class UnitsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class DraftForm(forms.Form):
    body = ModelPicker(label=_("Issuing body"), queryset=IssuingBody.objects.none())
    kind = ModelPicker(label=_("Kind"), queryset=DocumentKind.objects.all())
    title = forms.CharField(label=_("Title"), max_length=200)
    addressed_to = forms.CharField(label=_("Addressed to (main)"), max_length=300, required=False,
                                   help_text=_("As printed, e.g. 各部门; empty: the main recipients' names."))
    main = UnitsField(label=_("Main recipients"), queryset=Unit.objects.none(), required=False)
    copy = UnitsField(label=_("Copy recipients"), queryset=Unit.objects.none(), required=False)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}))
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, required=False)
    classification = forms.ChoiceField(label=_("Classification"), choices=Classification.choices, required=False)
    reply_due = forms.DateField(label=_("Reply due"), widget=DATE, required=False)
    reply_asked = forms.CharField(label=_("Reply asked for"), max_length=200, required=False)
    attachment = forms.FileField(label=_("Attachment"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(Any, self.fields["body"]).queryset = IssuingBody.objects.visible_to(user)
        units = Unit.objects.filter(kind__in=RECIPIENT_KINDS, closed_on__isnull=True).order_by("code")
        cast(Any, self.fields["main"]).queryset = units
        cast(Any, self.fields["copy"]).queryset = units


class EditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}))


class VersionForm(EditForm):
    reason = forms.CharField(label=_("Reason for the new version"), max_length=200)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Withdrawal reason"), max_length=200)


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 4}))


class ReportForm(forms.Form):
    body = ModelPicker(label=_("Issuing body"), queryset=IssuingBody.objects.none())
    kind = ModelPicker(label=_("Kind"), queryset=DocumentKind.objects.exclude(template=""))
    title = forms.CharField(label=_("Title"), max_length=200)
    as_of = forms.DateTimeField(label=_("Figures as of"), widget=DATETIME)
    addressed_to = forms.CharField(label=_("Addressed to"), max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(Any, self.fields["body"]).queryset = IssuingBody.objects.visible_to(user)


class KindForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = DocumentKind
        fields = ["code", "name", "direction", "number_word", "series", "template"]
        widgets = {"template": forms.Textarea(attrs={"rows": 8})}


class InstructionForm(forms.Form):
    leader_name = forms.CharField(label=_("Leader"), max_length=40)
    leader_position = forms.CharField(label=_("Position"), max_length=60)
    given_on = forms.DateField(label=_("Given on"), widget=DATE)
    text = forms.CharField(label=_("Instruction"), widget=forms.Textarea(attrs={"rows": 4}))
    image = forms.FileField(label=_("Scanned image"), required=False)
    unit = ModelPicker(label=_("First item: assigned to"), queryset=Unit.objects.none(), required=False)
    task = forms.CharField(label=_("First item: task"), max_length=300, required=False)
    due_on = forms.DateField(label=_("First item: deadline"), widget=DATE, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(Any, self.fields["unit"]).queryset = Unit.objects.filter(
            kind__in=RECIPIENT_KINDS, closed_on__isnull=True).order_by("code")

    def items(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        if data.get("unit") and data.get("task") and data.get("due_on"):
            return [{"unit": data["unit"], "task": data["task"], "due_on": data["due_on"]}]
        return []


class ItemForm(forms.Form):
    unit = ModelPicker(label=_("Assigned to"), queryset=Unit.objects.none())
    task = forms.CharField(label=_("Task"), max_length=300)
    due_on = forms.DateField(label=_("Deadline"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(Any, self.fields["unit"]).queryset = Unit.objects.filter(
            kind__in=RECIPIENT_KINDS, closed_on__isnull=True).order_by("code")


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 3}))
