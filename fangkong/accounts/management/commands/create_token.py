"""``fangkong create_token USERNAME [--days N] [--name LABEL]``: issue an API token from the console."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.accounts.models import TOKEN_DAYS, User
from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print it (only its hash is stored; it cannot be shown again). "
        f"It expires after --days days (default {TOKEN_DAYS})."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user the token acts as.")
        parser.add_argument("--name", default="", help="A label for the token, e.g. what script uses it.")
        parser.add_argument("--days", type=int, default=TOKEN_DAYS, help=f"Days until it expires (default {TOKEN_DAYS}).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        if not user.is_active:
            # token_user() refuses inactive users, so the token would be useless.
            raise CommandError(f"User {user.username!r} is deactivated; activate the account first.")
        try:
            key = token_create(user=user, actor=SYSTEM, name=options["name"], days=options["days"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        # Only the token on stdout, so scripts can capture it with $(fangkong create_token …);
        # its prefix and expiry go to stderr.
        self.stdout.write(key)
        self.stderr.write(f"prefix {key[:12]}, expires after {options['days']} days")
