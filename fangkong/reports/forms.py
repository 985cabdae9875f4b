"""Forms of the daily reports. The report form is built from the field definitions of the
template's current version, so a question added by the office appears without a release."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import FieldKind
from .models import ReportField


class ReportForm(forms.Form):
    """One day's report on one phone screen. Validation itself lives in ``services.clean_values``."""

    def __init__(self, *args: Any, fields: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for spec in fields:
            kind = spec["kind"]
            common = {"label": spec["label"], "help_text": spec.get("help", ""), "required": False}
            field: forms.Field
            if kind == FieldKind.INTEGER:
                field = forms.CharField(widget=forms.NumberInput(attrs={
                    "min": 0, "max": spec.get("max", 10000), "inputmode": "numeric",
                    "required": spec["required"] or None,
                }), **common)
            elif kind == FieldKind.BOOLEAN:
                field = forms.ChoiceField(choices=[("", "—"), ("1", _("Yes")), ("0", _("No"))], **common)
            else:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=500, **common)
            self.fields[spec["key"]] = field


class CorrectionForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=200)


class FlagReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("confirm", _("Confirm: the unit concealed")), ("dismiss", _("Dismiss"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class FlagAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("The unit's answer"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened, and what the unit has done about it (e.g. the report was corrected)."),
    )


class FieldAddForm(forms.ModelForm[ReportField]):
    class Meta:
        model = ReportField
        fields = ("key", "label", "help_text", "kind", "required", "measure", "max_value")
