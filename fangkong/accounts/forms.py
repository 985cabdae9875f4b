from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.orgs.models import Unit

from .roles import Role


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=256)


class OtpForm(forms.Form):
    token = forms.RegexField(label=_("6-digit code"), regex=r"^\d{6}$", max_length=6)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput, max_length=256)
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, max_length=256)
    new_password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput, max_length=256)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password2"):
            raise forms.ValidationError(_("The two new passwords differ."))
        return data


class UnitsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class UserCreateForm(forms.Form):
    username = forms.RegexField(label=_("Username"), regex=r"^[A-Za-z0-9_.@-]{3,150}$", max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=60)
    email = forms.EmailField(label=_("Email"), required=False)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, max_length=256)


class GrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *Role.choices], required=False)
    units = UnitsField(label=_("Scope units"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = Unit.objects.visible_to(user).exclude(  # type: ignore[attr-defined]
            kind__in=["checkpoint", "branch", "general_branch"]
        ) | Unit.objects.visible_to(user).filter(pk__in=self.initial.get("units_ids", []))
