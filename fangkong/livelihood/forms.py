"""Parsing the livelihood forms; the rules live in livelihood.services."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core import clock
from fangkong.core.forms import ModelPicker
from fangkong.deployment.models import Secondment
from fangkong.deployment.selectors import active_on
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit

from .choices import HelpKind
from .models import Channel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class UnitChoiceField(ModelPicker):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class SecondmentChoiceField(ModelPicker):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.person.name}（{obj.unit.name if obj.unit else ''}）"


def cadres_for(user: Any, community: Unit | None = None) -> Any:
    """Seconded cadres placed in the user's communities (or in one), running today."""
    from fangkong.core.scoping import scope_unit_ids, subtree_query

    qs = Secondment.objects.filter(active_on(clock.today()), unit__isnull=False).select_related("person", "unit")
    if community is not None:
        return qs.filter(unit__in=subtree_query(community.pk))
    units = scope_unit_ids(user)
    return qs if units is None else qs.filter(unit_id__in=units)


class HelpRequestForm(forms.Form):
    community = UnitChoiceField(label=_("Community"), queryset=Unit.objects.none())
    household = forms.CharField(label=_("Household"), max_length=40,
                                help_text=_("How to address them, e.g. 王女士; no full name needed."))
    address = forms.CharField(label=_("Address"), max_length=100)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=HelpKind.choices)
    details = forms.CharField(label=_("What is needed"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    due_at = forms.DateTimeField(label=_("Due at"), widget=MOMENT, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    assignee = SecondmentChoiceField(label=_("Seconded cadre"), queryset=Secondment.objects.none(), required=False)
    volunteer = forms.CharField(label=_("Or a volunteer"), max_length=40, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["community"]).queryset = (  # type: ignore[type-arg]
            Unit.objects.visible_to(user).filter(kind=UnitKind.COMMUNITY).order_by("code"))
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = cadres_for(user)  # type: ignore[type-arg]


class AssignForm(forms.Form):
    assignee = SecondmentChoiceField(label=_("Seconded cadre"), queryset=Secondment.objects.none(), required=False)
    volunteer = forms.CharField(label=_("Or a volunteer"), max_length=40, required=False)

    def __init__(self, *args: Any, community: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = cadres_for(None, community)  # type: ignore[type-arg]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class VolumeForm(forms.Form):
    """One day's cases of one service, a number per channel it offers."""

    day = forms.DateField(label=_("Day"), widget=DATE)

    def __init__(self, *args: Any, channels: list[Channel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channels = channels
        for channel in channels:
            self.fields[f"c{channel.pk}"] = forms.IntegerField(label=channel.name, min_value=0, max_value=1_000_000,
                                                               required=False)

    def counts(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"c{c.pk}"] for c in self.channels
                if self.cleaned_data.get(f"c{c.pk}") is not None}
