"""``fangkong create_token``: issue an API token for a user from the console."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.accounts.models import User
from fangkong.accounts.services import token_create


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (only its hash is stored; it cannot be shown again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user the token acts as.")
        parser.add_argument("--name", default="", help="A label for the token, e.g. what script uses it.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        if not user.is_active:
            # token_user() refuses inactive users, so the token would be useless.
            raise CommandError(f"User {user.username!r} is deactivated; activate the account first.")
        # Only the token on stdout, so scripts can capture it with $(fangkong create_token …).
        self.stdout.write(token_create(user=user, name=options["name"]))
