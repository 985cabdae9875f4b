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


class ColumnMappingField(forms.CharField):
    """Where an import page asks the user to place a file's columns (core.columnmap): one column a
    line as 表头=字段 (字段 empty or ``skip``: not imported), checked against the import's fields and
    cleaned to a mapping by normalised header. The placing is remembered for the header set."""

    widget = forms.Textarea(attrs={"rows": 2})

    def __init__(self, labels: dict[str, str], **kwargs: Any) -> None:
        self.labels = labels
        kwargs.setdefault("label", _("Column mapping"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault("help_text", _("Only when asked: one column a line, as header=field (field empty or skip: "
                                         "not imported). Fields: %(fields)s. It is remembered for this layout.")
                          % {"fields": "、".join(f"{key}（{label}）" for key, label in labels.items())})
        super().__init__(**kwargs)

    def clean(self, value: Any) -> dict[str, str]:  # type: ignore[override]
        from django.core.exceptions import ValidationError

        from .columnmap import parse_map_options

        text = super().clean(value)
        lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
        try:
            mapping = parse_map_options(lines)
        except ValueError as exc:
            raise ValidationError(_("Write each column as header=field, not %(line)s."),
                                  params={"line": str(exc)}) from None
        unknown = sorted({key for key in mapping.values() if key and key not in self.labels})
        if unknown:
            raise ValidationError(_("Unknown fields: %(fields)s."), params={"fields": ", ".join(unknown)})
        return mapping


def add_service_errors(form: forms.Form, exc: Any) -> None:
    """Put a service's ValidationError onto the form, field by field where the field exists."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def apply_write(request: Any, form: Any, write: Any, done: str) -> Any:
    """Run a service write for a valid form: its result (with ``done`` as the success message), or
    None with the service's refusal shown on the form."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError

    if not form.is_valid():
        return None
    try:
        result = write()
    except ValidationError as exc:
        add_service_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or _("Your role may not do this."))
    else:
        messages.success(request, done)
        return result
    return None
