"""What every form's pickers share: the empty choice of a list reads 请选择 (Choose…) when a choice
is required and — when it may stay empty, never Django's ``---------``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

CHOOSE = _("Choose…")


class ModelPicker(forms.ModelChoiceField):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", CHOOSE if kwargs.get("required", True) else "—")
        super().__init__(*args, **kwargs)
