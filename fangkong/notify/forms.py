"""Parsing the notification forms; the rules live in notify.services."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.forms import ModelPicker
from fangkong.orgs.models import Unit

from .choices import ChannelKind, MessageFormat


class UnitChoiceField(ModelPicker):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ChannelForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    kind = forms.ChoiceField(label=_("Channel"), choices=ChannelKind.choices)
    target = forms.CharField(
        label=_("Addresses or webhook URL"), max_length=1000,
        help_text=_("Email: addresses separated by commas. Robots: the webhook URL of the group robot."),
    )
    secret = forms.CharField(
        label=_("Signing secret"), max_length=200, required=False,
        help_text=_("DingTalk only: the secret starting with SEC shown under 加签 in the robot's security settings."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    msg_format = forms.ChoiceField(label=_("Message format"), choices=MessageFormat.choices,
                                   initial=MessageFormat.MARKDOWN)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the units the user may configure are offered; a unit id from outside is refused
        # here ("select a valid choice") and again by the service.
        self.fields["unit"].queryset = Unit.objects.visible_to(user).only("id", "name").order_by("code")  # type: ignore[attr-defined]
