"""Parsing the donations forms; the rules (units, stock, who signs) live in donations.services.
Quantities are read as text so that the services name the problem (1.5 副, 公斤 for 斤)."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.forms import ModelPicker
from fangkong.orgs.models import Unit

from .choices import Category, Condition, DonorKind, Source
from .models import Allocation, Donor, Item, Measure, Pledge, Store, SupplierLead

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
QUANTITY = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


class UnitPicker(ModelPicker):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PickerForm(forms.Form):
    def _picker(self, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
        return cast(forms.ModelChoiceField, self.fields[name])  # type: ignore[type-arg]


QUANTITY_LABEL = _("Quantity")


def _quantity(label: Any = QUANTITY_LABEL) -> forms.CharField:
    return forms.CharField(label=label, max_length=20, widget=QUANTITY)


def _measure() -> ModelPicker:
    return ModelPicker(label=_("In unit"), queryset=Measure.objects.all(), required=False,
                       help_text=_("Leave empty for the item's own unit."))


class DonorForm(PickerForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=DonorKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, required=False,
                           help_text=_("For an enterprise or an individual; a unit's name comes from the tree."))
    unit = UnitPicker(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    contact = forms.CharField(label=_("Contact"), max_length=100, required=False)
    public_name = forms.CharField(label=_("Name shown in public"), max_length=100, required=False)
    anonymous = forms.BooleanField(label=_("Anonymous in public"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._picker("unit").queryset = Unit.objects.visible_to(user).order_by("code")  # type: ignore[attr-defined]


class PledgeForm(PickerForm):
    donor = ModelPicker(label=_("Donor"), queryset=Donor.objects.none())
    item = ModelPicker(label=pgettext_lazy("donations", "Item"), queryset=Item.objects.all())
    quantity = _quantity()
    measure = _measure()
    expected_on = forms.DateField(label=_("Expected on"), widget=DATE, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._picker("donor").queryset = Donor.objects.visible_to(user)  # type: ignore[attr-defined]


class LeadForm(PickerForm):
    item = ModelPicker(label=pgettext_lazy("donations", "Item"), queryset=Item.objects.all())
    supplier = forms.CharField(label=_("Supplier"), max_length=100)
    price = forms.DecimalField(label=_("Unit price (yuan)"), min_value=0, max_digits=10, decimal_places=2)
    quantity_available = _quantity(_("Quantity available"))
    measure = _measure()
    contact = forms.CharField(label=_("Contact"), max_length=100, required=False)
    unit = UnitPicker(label=_("Unit of the member"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._picker("unit").queryset = Unit.objects.visible_to(user).order_by("code")  # type: ignore[attr-defined]


class IntakeForm(PickerForm):
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    donor = ModelPicker(label=_("Donor"), queryset=Donor.objects.none(), required=False)
    pledge = ModelPicker(label=_("Against pledge"), queryset=Pledge.objects.none(), required=False)
    lead = ModelPicker(label=_("Bought through lead"), queryset=SupplierLead.objects.none(), required=False)
    item = ModelPicker(label=pgettext_lazy("donations", "Item"), queryset=Item.objects.all())
    store = ModelPicker(label=_("Store"), queryset=Store.objects.none())
    quantity = _quantity()
    measure = _measure()
    received_on = forms.DateField(label=pgettext_lazy("donations", "Received on"), widget=DATE)
    received_by = forms.CharField(label=_("Received by"), max_length=60)
    condition = forms.ChoiceField(label=_("Condition"), choices=Condition.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    photo = forms.ImageField(label=_("Photo"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._picker("donor").queryset = Donor.objects.visible_to(user)  # type: ignore[attr-defined]
        self._picker("pledge").queryset = Pledge.objects.visible_to(user).select_related(  # type: ignore[attr-defined]
            "donor", "item")
        self._picker("lead").queryset = SupplierLead.objects.visible_to(user).select_related(  # type: ignore[attr-defined]
            "item")
        self._picker("store").queryset = Store.objects.visible_to(user)  # type: ignore[attr-defined]


class NeedForm(PickerForm):
    unit = UnitPicker(label=_("For unit"), queryset=Unit.objects.none())
    item = ModelPicker(label=pgettext_lazy("donations", "Item"), queryset=Item.objects.all())
    quantity = _quantity()
    measure = _measure()
    needed_by = forms.DateField(label=_("Needed by"), widget=DATE, required=False)
    reason = forms.CharField(label=_("What for"), max_length=200)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from .services import NEED_KINDS

        super().__init__(*args, **kwargs)
        units = Unit.objects.visible_to(user).filter(kind__in=NEED_KINDS).order_by("code")  # type: ignore[attr-defined]
        self._picker("unit").queryset = units
        only = units.first() if units.count() == 1 else None
        if only is not None:
            self.fields["unit"].initial = only.pk


class AllocationForm(PickerForm):
    store = ModelPicker(label=_("From store"), queryset=Store.objects.none())
    quantity = _quantity()
    approver_name = forms.CharField(label=_("Approved by"), max_length=60)
    basis = forms.CharField(label=_("Basis"), max_length=200)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._picker("store").queryset = Store.objects.visible_to(user)  # type: ignore[attr-defined]


class DistributionForm(PickerForm):
    allocation = ModelPicker(label=_("Allocation plan"), queryset=Allocation.objects.none(), required=False)
    store = ModelPicker(label=_("From store"), queryset=Store.objects.none())
    item = ModelPicker(label=pgettext_lazy("donations", "Item"), queryset=Item.objects.all(), required=False)
    to_unit = UnitPicker(label=_("Receiving unit"), queryset=Unit.objects.none(), required=False)
    quantity = _quantity()
    carrier = forms.CharField(label=_("Carried by"), max_length=60, required=False)
    vehicle = forms.CharField(label=_("Vehicle"), max_length=20, required=False)
    dispatched_on = forms.DateField(label=_("Dispatched on"), widget=DATE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._picker("store").queryset = Store.objects.visible_to(user)  # type: ignore[attr-defined]
        self._picker("allocation").queryset = Allocation.objects.visible_to(user).select_related(  # type: ignore[attr-defined]
            "need__unit", "need__item", "store")
        self._picker("to_unit").queryset = Unit.objects.visible_to(user).order_by("code")  # type: ignore[attr-defined]


class ReceiptForm(forms.Form):
    quantity_received = _quantity(_("Quantity received"))
    discrepancy = forms.CharField(label=_("Discrepancy note"), max_length=200, required=False,
                                  help_text=_("What is missing or damaged, if anything."))
    photo = forms.ImageField(label=_("Photo"), required=False)


class CorrectionForm(forms.Form):
    quantity_received = _quantity(_("Quantity received"))
    discrepancy = forms.CharField(label=_("What is corrected"), max_length=200)


class LinkForm(forms.Form):
    receiver_name = forms.CharField(label=_("Receiver"), max_length=60)
    receiver_role = forms.CharField(label=_("Receiver's role"), max_length=60, initial="卡点值守人员")


class AdjustmentForm(forms.Form):
    quantity = forms.CharField(label=_("Change (− to take off)"), max_length=20, widget=QUANTITY)
    write_off = forms.BooleanField(label=_("Write-off"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    approved_by = forms.CharField(label=_("Approved by"), max_length=60)


# -- the catalogue: units of measure, conversions, items, stores ---------------------------


class _CatalogueForm(forms.Form):
    """A catalogue form: the same for every user (city-wide reference data)."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class MeasureForm(_CatalogueForm):
    name = forms.CharField(label=_("Name"), max_length=10, help_text=_("斤, 公斤, 副, 个, 件 …"))
    allows_fraction = forms.BooleanField(label=_("Quantities may have fractions (1.5)"), required=False)


class ConversionForm(_CatalogueForm):
    source = ModelPicker(label=pgettext_lazy("donations", "One"), queryset=Measure.objects.all())
    factor = forms.DecimalField(label=_("is exactly"), max_digits=14, decimal_places=3, min_value=0.001,
                                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    target = ModelPicker(label=pgettext_lazy("donations", "of"), queryset=Measure.objects.all())


class ItemForm(_CatalogueForm):
    name = forms.CharField(label=_("Name"), max_length=40)
    category = forms.ChoiceField(label=pgettext_lazy("donations", "category"), choices=Category.choices)
    measure = ModelPicker(label=_("Counted in"), queryset=Measure.objects.all())
    pack_name = forms.CharField(label=_("Pack"), max_length=10, required=False, help_text=_("箱, 包 … when it comes packed"))
    pack_size = forms.IntegerField(label=_("Units per pack"), min_value=1, required=False)


class StoreForm(PickerForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    unit = UnitPicker(label=pgettext_lazy("donations", "held by"), queryset=Unit.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._picker("unit").queryset = Unit.objects.visible_to(user).order_by("code")  # type: ignore[attr-defined]
