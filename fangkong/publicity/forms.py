"""Parsing the publicity forms; the rules live in publicity.services."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.core.forms import ModelPicker
from fangkong.orgs.choices import PARTY_KINDS
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from .choices import MaterialKind, PushKind
from .models import Outlet

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NamePicker(ModelPicker):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _set(form: forms.Form, name: str, qs: Any) -> None:
    cast(forms.ModelChoiceField, form.fields[name]).queryset = qs  # type: ignore[type-arg]


class ScopedForm(forms.Form):
    unit = NamePicker(label=_("Unit"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set(self, "unit", Unit.objects.visible_to(user).filter(closed_on__isnull=True).order_by("code"))


class MaterialForm(ScopedForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=MaterialKind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(label=_("File"), required=False)
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE)


class MediaPushForm(ScopedForm):
    outlet = NamePicker(label=_("Outlet"), queryset=Outlet.objects.all())
    kind = forms.ChoiceField(label=_("Kind"), choices=PushKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    pushed_on = forms.DateField(label=_("Pushed on"), widget=DATE)
    # A plain text field: the service says why a javascript: or data: link is refused.
    link = forms.CharField(label=_("Link"), max_length=500, required=False)


class ForwardForm(ScopedForm):
    message = forms.CharField(label=_("Message forwarded"), max_length=200)
    day = forms.DateField(label=_("Day"), widget=DATE)
    count = forms.IntegerField(label=_("Forwards"), min_value=1, max_value=100000, initial=1)


class SignForm(forms.Form):
    person = NamePicker(label=_("Party member"), queryset=Person.objects.none(), required=False,
                        help_text=_("Leave empty to sign yourself."))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set(self, "person", Person.objects.visible_to(user).filter(is_party_member=True, is_active=True,
                                                                    branch__isnull=False))


class DeedForm(forms.Form):
    branch = NamePicker(label=_("Nominating branch"), queryset=Unit.objects.none())
    person = NamePicker(label=pgettext_lazy("party member", "Member"), queryset=Person.objects.none())
    title = forms.CharField(label=_("Title"), max_length=120)
    story = forms.CharField(label=_("Story"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    photo = forms.ImageField(label=_("Photo"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set(self, "branch", Unit.objects.visible_to(user).filter(kind__in=PARTY_KINDS).order_by("code"))
        _set(self, "person", Person.objects.visible_to(user).filter(is_party_member=True, branch__isnull=False))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[
        ("approved", _("Approve")), ("rejected", _("Not selected")), ("published", _("Publish"))])
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class FormulaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    expression = forms.CharField(label=_("Formula"), max_length=500)
    since = forms.DateField(label=_("From"), widget=DATE)
