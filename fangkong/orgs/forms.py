from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.forms import ModelPicker

from .choices import UnitKind
from .models import Unit


class UnitForm(forms.Form):
    """Parses the unit form; tree rules live in orgs.services."""

    code = forms.CharField(label=_("Code"), max_length=100)
    name = forms.CharField(label=_("Name"), max_length=300)
    short_name = forms.CharField(label=_("Short name"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    parent = ModelPicker(label=_("Parent unit"), queryset=Unit.objects.none(), required=False)
    opened_on = forms.DateField(label=_("Opened on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    closed_on = forms.DateField(label=_("Closed on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=100, required=False)
    address = forms.CharField(label=_("Address"), max_length=400, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Unit.objects.editable_by(user).exclude(  # type: ignore[attr-defined]
            kind__in=[UnitKind.CHECKPOINT, UnitKind.BRANCH]
        )
