from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassesValidator:
    """At least three of: lowercase letters, uppercase letters, digits, other characters."""

    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                _("The password must use at least three of: lowercase letters, uppercase letters, digits, symbols."),
                code="password_classes",
            )

    def get_help_text(self) -> str:
        return _("Use at least three of: lowercase letters, uppercase letters, digits, symbols.")
