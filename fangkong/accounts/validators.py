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


class RevokeTokensOnPasswordChange:
    """Not a rule for the password: Django calls ``password_changed`` of every configured
    validator whenever a user's new password is saved, on any path (the platform's services,
    Django's ``changepassword`` command, the admin, a shell). Every API token still alive is then
    revoked, so none outlives the password that guarded its making. The services revoke them
    first, naming who acted; this catches every other path (each revocation audited as from the
    console)."""

    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        from fangkong.core.actors import SYSTEM

        from .models import RevokeReason
        from .services import revoke_user_tokens

        # Each revocation is audited (as the system); a new account has none, and costs a read.
        revoke_user_tokens(actor=SYSTEM, user=user, reason=RevokeReason.PASSWORD)

    def get_help_text(self) -> str:
        return _("Changing the password revokes every API token of the account.")
