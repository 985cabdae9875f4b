"""``fangkong init --city NAME``: start a city's own installation on an empty database."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.accounts.roles import Role
from fangkong.orgs.golive import init_city


class Command(BaseCommand):
    help = (
        "Start a city's own installation on an empty database: the city, its working committee and the "
        "three administrator accounts (system, security, audit), whose one-time passwords are printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True, help="The city's name, e.g. 白岭市.")
        parser.add_argument("--code", default="C0", help="The city's unit code (default C0).")
        parser.add_argument("--committee", default="", help="The working committee's full name "
                            "(default 中共<city>直属机关工作委员会).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            logins = init_city(city=options["city"], code=options["code"], committee=options["committee"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"{options['city']}: installation started."))
        self.stdout.write(
            "The administrators' one-time passwords are shown this once and never stored in clear. Hand each "
            "to its administrator; the first login must change it and enrol a TOTP device (an authenticator app)."
        )
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.username:<{width}}  {login.password}  {Role(login.role).label}")
        self.stdout.write(
            "Next: the system administrator imports the organisation tree (fangkong import_tree), "
            "people (fangkong import_people) and the security administrator the accounts (fangkong import_accounts)."
        )
