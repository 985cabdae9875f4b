"""Parsing the deployment forms; the rules live in deployment.services."""

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fangkong.core.forms import ModelPicker
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from .choices import SecondmentRole
from .services import PLACEMENT_KINDS, SENDING_KINDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnitChoiceField(ModelPicker):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PersonChoiceField(ModelPicker):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.unit.display_name}）" if hasattr(obj, "unit") else str(obj.name)


class ScopedChoicesForm(forms.Form):
    def _choices(self, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
        return cast(forms.ModelChoiceField, self.fields[name])  # type: ignore[type-arg]


class SecondmentForm(ScopedChoicesForm):
    person = PersonChoiceField(label=_("Cadre"), queryset=Person.objects.none())
    department = UnitChoiceField(label=_("Sending department"), queryset=Unit.objects.none())
    unit = UnitChoiceField(label=_("Placed at"), queryset=Unit.objects.none(), required=False,
                           help_text=_("Leave empty when the cadre is not placed yet."))
    role = forms.ChoiceField(label=_("Role"), choices=SecondmentRole.choices, initial=SecondmentRole.MEMBER)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE, required=False)
    duties = forms.CharField(label=_("Duties"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Unit.objects.visible_to(user)
        self._choices("department").queryset = units.filter(kind__in=SENDING_KINDS).order_by("code")
        self._choices("unit").queryset = Unit.objects.filter(kind__in=PLACEMENT_KINDS).order_by("code")
        self._choices("person").queryset = (
            Person.objects.visible_to(user).filter(is_active=True, is_cadre=True).select_related("unit")
        )


class PlaceForm(forms.Form):
    unit = UnitChoiceField(label=_("Placed at"), queryset=Unit.objects.filter(kind__in=PLACEMENT_KINDS).order_by("code"))
    role = forms.ChoiceField(label=_("Role"), choices=SecondmentRole.choices)


class EndForm(forms.Form):
    ends_on = forms.DateField(label=_("Last day"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class DayShiftsForm(ScopedChoicesForm):
    checkpoint = UnitChoiceField(label=_("Checkpoint"), queryset=Unit.objects.none())
    day = forms.DateField(label=_("Day"), widget=DATE)
    staff_needed = forms.IntegerField(label=_("Staff needed per shift"), min_value=1, max_value=50, initial=2)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("checkpoint").queryset = Unit.objects.visible_to(user).filter(kind="checkpoint").order_by("code")


class AssignForm(ScopedChoicesForm):
    person = PersonChoiceField(label=_("Cadre"), queryset=Person.objects.none())

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("person").queryset = people


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Secondment list (xlsx, xls, ods or csv)"))
    mapping = forms.CharField(
        label=_("Column mapping"), required=False, max_length=2000,
        help_text=_("Only when asked: one column a line, as header=field (e.g. 派驻单位=place, 是否党员=skip). "
                    "It is remembered for your unit."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_mapping(self) -> dict[str, str]:
        from fangkong.core.columnmap import parse_map_options

        from .imports import TARGET_LABELS

        lines = [line.strip() for line in str(self.cleaned_data.get("mapping") or "").splitlines() if line.strip()]
        try:
            mapping = parse_map_options(lines)
        except ValueError as exc:
            raise ValidationError(_("Write each column as header=field, not %(line)s."),
                                  params={"line": str(exc)}) from None
        unknown = sorted({key for key in mapping.values() if key and key not in TARGET_LABELS})
        if unknown:
            raise ValidationError(_("Unknown fields: %(fields)s."), params={"fields": ", ".join(unknown)})
        return mapping
