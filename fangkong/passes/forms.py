import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fangkong.core import clock
from fangkong.core.idcard import id_digest, normalize_id_number
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit
from fangkong.people.forms import UnitChoiceField
from fangkong.people.models import Person

from .plates import validate_plate

ZONE_KINDS = [UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.CHECKPOINT]
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class ZoneField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class _PassForm(forms.Form):
    zones = ZoneField(
        label=_("Zones"), queryset=Unit.objects.none(), required=False,
        help_text=_("Streets, communities or checkpoints where the pass is valid; none means everywhere."),
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_until = forms.DateField(label=_("Valid until (last day)"), widget=DATE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        visible = Unit.objects.visible_to(user)
        self.fields["zones"].queryset = visible.filter(kind__in=ZONE_KINDS).order_by("code")  # type: ignore[attr-defined]
        if "unit" in self.fields:
            self.fields["unit"].queryset = visible.filter(  # type: ignore[attr-defined]
                kind__in=[UnitKind.DEPARTMENT, UnitKind.INDUSTRY_UNIT, UnitKind.COORDINATING_BODY, *ZONE_KINDS]
            ).order_by("code")
        today = clock.today()
        self.fields["valid_from"].initial = today
        self.fields["valid_until"].initial = today + dt.timedelta(days=30)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            raise ValidationError(_("A pass must end after it starts."))
        return data


class StaffPassForm(_PassForm):
    id_number = forms.CharField(label=_("Holder's ID number"), max_length=40)
    unit = UnitChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(), required=False,
        help_text=_("Default: the holder's unit."),
    )
    field_order = ["id_number", "unit", "zones", "purpose", "valid_from", "valid_until"]

    def clean_id_number(self) -> str:
        value = normalize_id_number(self.cleaned_data["id_number"])
        person = Person.objects.visible_to(self.user).filter(id_digest=id_digest(value)).first()
        if person is None:
            raise ValidationError(_("No person with this ID number in your scope."))
        self.cleaned_data["person"] = person
        return value


class VehiclePassForm(_PassForm):
    plate = forms.CharField(label=_("Number plate"), max_length=20)
    driver_name = forms.CharField(label=_("Driver"), max_length=60, required=False)
    owner_name = forms.CharField(label=_("Owner"), max_length=100, required=False)
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    field_order = ["plate", "driver_name", "owner_name", "unit", "zones", "purpose", "valid_from", "valid_until"]

    def clean_plate(self) -> str:
        return validate_plate(self.cleaned_data["plate"])


class DepartmentBatchForm(_PassForm):
    department = UnitChoiceField(label=_("Department"), queryset=Unit.objects.none())
    field_order = ["department", "purpose", "valid_from", "valid_until"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        del self.fields["zones"]
        self.fields["department"].queryset = (  # type: ignore[attr-defined]
            Unit.objects.visible_to(user).filter(kind=UnitKind.DEPARTMENT).order_by("code")
        )
        self.fields["department"].help_text = _(
            "Each seconded cadre gets a pass valid where they are placed (everywhere if not yet placed)."
        )


class StatusForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
