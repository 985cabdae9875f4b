"""Parsing the ledger's forms; the rules themselves live in returnees.services."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from fangkong.core.forms import ModelPicker
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit

from .choices import Category, ChangeKind, Resolution, Side

EMPLOYER_FORM_KINDS = (UnitKind.DEPARTMENT, UnitKind.INDUSTRY_UNIT)
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnitChoiceField(ModelPicker):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)




class RegistrationForm(forms.Form):
    """One side's registration of a returnee. Unit side: the liaison names the employer from
    their own units. Community side: staff register a resident of their community."""

    name = forms.CharField(label=_("Full name"), max_length=60)
    id_number = forms.CharField(label=_("ID number"), max_length=40, widget=forms.TextInput(
        attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}))
    phone = forms.CharField(label=_("Mobile phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    unit = UnitChoiceField(label=_("Employer unit"), queryset=Unit.objects.none())
    community = UnitChoiceField(label=_("Residential community"), queryset=Unit.objects.none(), required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.OUTSIDE)
    origin_text = forms.CharField(
        label=_("Where from"), max_length=100, required=False,
        help_text=_("Province, city and county, e.g. 湖北省武汉市江汉区"),
        widget=forms.TextInput(attrs={"list": "origin-list", "autocomplete": "off"}),
    )
    transport = forms.CharField(label=_("Transport"), max_length=40, required=False,
                                help_text=_("e.g. train G1234, own car"))
    return_date = forms.DateField(label=_("Return date"), required=False, widget=DATE)
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, side: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        employers = Unit.objects.filter(kind__in=EMPLOYER_FORM_KINDS).order_by("code")
        communities = Unit.objects.filter(kind=UnitKind.COMMUNITY).order_by("code")
        visible = Unit.objects.visible_to(user)
        unit_field: Any = self.fields["unit"]
        community_field: Any = self.fields["community"]
        if side == Side.UNIT:
            # The liaison reports for their own units; the person may live in any community.
            unit_field.queryset = visible.filter(kind__in=EMPLOYER_FORM_KINDS).order_by("code")
            community_field.queryset = communities
            community_field.help_text = _("Where the person lives, if known.")
        else:
            # Community staff register residents of their own community; the employer is any unit.
            community_field.queryset = visible.filter(kind=UnitKind.COMMUNITY).order_by("code")
            community_field.required = True
            unit_field.queryset = employers
            unit_field.required = False
            unit_field.help_text = _("Leave empty if the person does not work for a municipal unit.")
            self.order_fields(["community", "name", "id_number", "phone", "address", "unit"])


class ReturneeEditForm(forms.Form):
    """Corrections to a returnee's details (a wrong ID number is a merge, not an edit)."""

    name = forms.CharField(label=_("Full name"), max_length=60)
    # The number on record is never put into the page (that would open its seal unaudited): an
    # empty field keeps it.
    phone = forms.CharField(label=_("Mobile phone"), max_length=40, required=False,
                            help_text=_("Leave empty to keep the number on record."))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    origin_text = forms.CharField(label=_("Where from"), max_length=100, required=False,
                                  widget=forms.TextInput(attrs={"list": "origin-list", "autocomplete": "off"}))
    transport = forms.CharField(label=_("Transport"), max_length=40, required=False)
    return_date = forms.DateField(label=_("Return date"), required=False, widget=DATE)
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, returnee: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if returnee is not None:
            self.fields["phone"].widget.attrs["placeholder"] = returnee.masked_phone


class IsolationChangeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Change"), choices=ChangeKind.choices)
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    approver = forms.CharField(label=_("Approved by"), max_length=60)

    def signed_days(self) -> int:
        days: int = self.cleaned_data["days"]
        return days if self.cleaned_data["kind"] == ChangeKind.EXTEND else -days


class ReleaseForm(forms.Form):
    day = forms.DateField(label=_("Release date"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class FollowUpForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DATE)
    temperature = forms.DecimalField(
        label=_("Temperature (°C)"), max_digits=3, decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "34", "max": "43", "inputmode": "decimal",
                                        "placeholder": "36.5"}),
    )
    symptoms = forms.CharField(label=_("Symptoms"), max_length=200, required=False)
    at_home = forms.BooleanField(label=_("At home"), required=False, initial=True)


class ConflictResolveForm(forms.Form):
    """The committee office's decision on an attribution conflict."""

    resolution = forms.ChoiceField(label=_("Decision"), choices=Resolution.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class MergeForm(forms.Form):
    other = forms.IntegerField(label=_("Record to merge into this one"), min_value=1)


class ImportForm(forms.Form):
    side = forms.ChoiceField(label=_("Ledger of"), choices=Side.choices)
    file = forms.FileField(
        label=_("Ledger file"), help_text=_("xlsx, xls, ods or csv (UTF-8 or GB18030)"),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.xls,.ods,.csv,.et"}),
    )
    strict = forms.BooleanField(
        label=_("Strict checks"), required=False,
        help_text=_("Sex, age or birth date that disagree with the ID number are problems, not warnings."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.FANGKONG_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                _("The file is larger than %(limit)s."), params={"limit": filesizeformat(limit)}, code="too_big"
            )
        if upload.size == 0:
            raise ValidationError(_("The file is empty."), code="empty")
        return upload
