"""Forms of the pass pages. The staff pass's holder is picked from the people in the issuer's
scope (``selectors.pass_holders``); zones are ticked in a tree of streets, communities and
checkpoints (``zone_tree``)."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fangkong.core import clock
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink
from fangkong.people.forms import UnitChoiceField
from fangkong.people.models import Person

from .plates import validate_plate
from .selectors import pass_holders

ZONE_KINDS = [UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.CHECKPOINT]
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class ZoneField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


@dataclass
class ZoneNode:
    """One street, community or checkpoint of the zone picker, with what lies below it."""

    unit: Unit
    checked: bool = False
    children: list["ZoneNode"] = field(default_factory=list)

    @property
    def open(self) -> bool:
        """Shown unfolded: something below it is ticked."""
        return any(child.checked or child.open for child in self.children)


def zone_tree(units: list[Unit], checked: set[int]) -> list[ZoneNode]:
    """The units as a forest (each under its nearest listed ancestor), in code order."""
    nodes = {u.pk: ZoneNode(u, u.pk in checked) for u in sorted(units, key=lambda u: u.code)}
    roots: list[ZoneNode] = []
    for node in nodes.values():
        parent = nodes.get(node.unit.parent_id) if node.unit.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


class PersonChoiceField(forms.ModelChoiceField):
    widget = forms.RadioSelect

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


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

    def zone_tree(self) -> list[ZoneNode]:
        if "zones" not in self.fields:
            return []
        value = self["zones"].value() or []
        checked = {int(v) for v in value if str(v).isdigit()}
        return zone_tree(list(self.fields["zones"].queryset.only("id", "code", "name", "parent_id")), checked)  # type: ignore[attr-defined]

    def clean_zones(self) -> list[Unit]:
        """Ticking a street ticks everything below it: the pass then names the street alone (a zone
        holds every unit below it), so a token stays short and within ``tokens.MAX_ZONES``."""
        zones = list(self.cleaned_data.get("zones") or [])
        ids = [z.pk for z in zones]
        covered = set(
            UnitLink.objects.filter(descendant_id__in=ids, ancestor_id__in=ids, depth__gt=0).values_list("descendant_id", flat=True)
        )
        return [z for z in zones if z.pk not in covered]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] < data["valid_from"]:
            raise ValidationError(_("A pass must end after it starts."))
        return data


class StaffPassForm(_PassForm):
    person = PersonChoiceField(
        label=_("Holder"), queryset=Person.objects.none(),
        error_messages={"required": _("Find the holder and choose them from the list."),
                        "invalid_choice": _("This person is outside your scope.")},
    )
    unit = UnitChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(), required=False, empty_label=_("The holder's unit"),
        help_text=_("Default: the holder's unit."),
    )
    field_order = ["person", "unit", "zones", "purpose", "valid_from", "valid_until"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["person"].queryset = pass_holders(user)  # type: ignore[attr-defined]

    def chosen_person(self) -> Person | None:
        """The holder ticked in a form shown again (a mistake elsewhere): kept in the picker."""
        value = self["person"].value()
        if not value or not str(value).isdigit():
            return None
        return self.fields["person"].queryset.filter(pk=int(value)).select_related("unit").first()  # type: ignore[attr-defined]


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
