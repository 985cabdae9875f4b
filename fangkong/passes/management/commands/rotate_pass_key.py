"""fangkong rotate_pass_key: start signing passes with a new key; the old one keeps verifying its passes."""

from typing import Any

from django.core.management.base import BaseCommand

from fangkong.passes.keys import rotate_key


class Command(BaseCommand):
    help = "Create a new pass signing key and retire the current one (which keeps verifying until its passes expire)."

    def handle(self, *args: Any, **options: Any) -> None:
        key = rotate_key()
        self.stdout.write(f"Passes are now signed with key {key.key_id}.")
