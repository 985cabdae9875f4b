"""Forms of the supervision pages (the phone feedback screen is built in the view: one block per
paired department)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.forms import ColumnMappingField
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from .choices import Conclusion
from .imports import LABELS
from .models import Classification, OutcomeKind, ReceivingBody


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format or "%Y-%m-%d")


class ProblemForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit concerned"), queryset=Unit.objects.none())
    classification = forms.ModelChoiceField(label=pgettext_lazy("problem", "Classification"), queryset=Classification.objects.all())
    summary = forms.CharField(label=_("Summary"), max_length=300)
    details = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    found_on = forms.DateField(label=_("Found on"), widget=DateInput)
    unannounced = forms.BooleanField(label=_("Found by an unannounced visit"), required=False)

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class CaseOpenForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    leader = forms.ModelChoiceField(label=_("Team leader"), queryset=Person.objects.none())
    members = forms.ModelMultipleChoiceField(label=_("Team members"), queryset=Person.objects.none(), required=False)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput)

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["leader"].queryset = people  # type: ignore[attr-defined]
            self.fields["members"].queryset = people  # type: ignore[attr-defined]


class RequestForm(forms.Form):
    question = forms.CharField(label=_("What to explain"), widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=_("Answer by"), widget=DateInput)


class AnswerForm(forms.Form):
    text = forms.CharField(label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 5}))
    attachment = forms.FileField(label=_("Attachment"), required=False)


class ConcludeForm(forms.Form):
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 4}))
    conclusion = forms.ChoiceField(label=_("Conclusion"), choices=Conclusion.choices)
    measures = forms.CharField(label=_("Rectification measures"), widget=forms.Textarea(attrs={"rows": 2}),
                               required=False)
    rectify_by = forms.DateField(label=_("Rectify by"), widget=DateInput, required=False)


class VerifyForm(forms.Form):
    note = forms.CharField(label=_("Verification note"), max_length=300)


class ReferralForm(forms.Form):
    bodies = forms.ModelMultipleChoiceField(label=_("Refer to"), queryset=ReceivingBody.objects.all(),
                                            widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Referral note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ModelChoiceField(label=_("Outcome"), queryset=OutcomeKind.objects.all())
    on = forms.DateField(label=_("Received on"), widget=DateInput)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class BulletinImportForm(forms.Form):
    title = forms.CharField(label=_("Bulletin title"), max_length=120, initial="白山市疫情防控督查工作简报")
    number = forms.IntegerField(label=_("Issue number"), min_value=1)
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput)
    file = forms.FileField(label=_("Problem list (xlsx)"), required=False)
    typed = forms.CharField(label=_("Or type the list: one problem a line, unit name, a tab or a colon, problem"),
                            widget=forms.Textarea(attrs={"rows": 4}), required=False)
    mapping = ColumnMappingField(LABELS)


class BulletinForm(forms.Form):
    period_from = forms.DateField(label=_("From"), widget=DateInput)
    period_to = forms.DateField(label=_("To"), widget=DateInput)
