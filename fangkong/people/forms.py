from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.forms import ModelPicker
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit

from .choices import Position


class UnitChoiceField(ModelPicker):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class PersonForm(forms.Form):
    """Parses the person form; the rules themselves live in people.services."""

    name = forms.CharField(label=_("Full name"), max_length=200)
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    phone = forms.CharField(label=_("Mobile phone"), max_length=40, required=False)
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    position = forms.ChoiceField(label=_("Position"), choices=Position.choices)
    title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    is_cadre = forms.BooleanField(label=_("Cadre"), required=False)
    is_party_member = forms.BooleanField(label=_("Party member"), required=False)
    branch = UnitChoiceField(label=_("Party branch"), queryset=Unit.objects.none(), required=False)
    photo = forms.ImageField(label=_("Photo"), required=False)

    def __init__(self, *args: Any, user: Any, person: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if person is not None:
            # Editing: the numbers on record are never put into the page (that would open their
            # seal unaudited); an empty field keeps them.
            for name, masked in (("id_number", person.masked_id_number), ("phone", person.masked_phone)):
                field = self.fields[name]
                field.required = False
                field.help_text = _("Leave empty to keep the number on record.")
                field.widget.attrs["placeholder"] = masked
        visible = Unit.objects.visible_to(user)
        self.fields["unit"].queryset = visible.exclude(  # type: ignore[attr-defined]
            kind__in=[UnitKind.PARTY_COMMITTEE, UnitKind.GENERAL_BRANCH, UnitKind.BRANCH]
        )
        self.fields["branch"].queryset = Unit.objects.filter(kind=UnitKind.BRANCH)  # type: ignore[attr-defined]
        if user is not None:
            self.fields["branch"].queryset = visible.filter(kind=UnitKind.BRANCH)  # type: ignore[attr-defined]
