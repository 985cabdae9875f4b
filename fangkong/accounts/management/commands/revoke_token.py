"""``fangkong revoke_token PREFIX`` or ``fangkong revoke_token --user USERNAME --all``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.accounts.models import ApiToken, User
from fangkong.accounts.services import token_revoke, tokens_revoke_all
from fangkong.core.actors import SYSTEM


class Command(BaseCommand):
    help = (
        "Revoke an API token by its prefix (as the tokens page shows it, e.g. fk_AbCdEf123) or by the "
        "whole token, or every token of a user with --user USERNAME --all. Takes effect at the next request."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", nargs="?", help="The token's prefix, or the whole token.")
        parser.add_argument("--user", help="With --all: the user whose tokens are revoked.")
        parser.add_argument("--all", action="store_true", help="Revoke every live token of --user.")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix, user, every = options["prefix"], options["user"], options["all"]
        if prefix and (user or every):
            raise CommandError("Give either a PREFIX or --user USERNAME --all, not both.")
        if not prefix:
            if not (user and every):
                raise CommandError("Give a PREFIX, or --user USERNAME --all.")
            owner = User.objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"No user named {user!r}.")
            n = tokens_revoke_all(actor=SYSTEM, user=owner)
            self.stdout.write(f"{n} token(s) of {owner.username} revoked.")
            return
        text = prefix.strip()
        token = ApiToken.objects.select_related("user").filter(prefix=text).first() or (
            ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(text)).first()
        )
        if token is None:
            raise CommandError(f"No token with prefix {text[:12]!r}.")
        if token_revoke(actor=SYSTEM, token=token):
            self.stdout.write(f"Token {token.prefix} of {token.user.username} revoked.")
        else:
            self.stdout.write(f"Token {token.prefix} of {token.user.username} was already revoked.")
