"""Write or check the committed OpenAPI document (openapi.json at the repository root)."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.core.api import api


def current_schema() -> str:
    return json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "Write the OpenAPI document, or with --check fail when the committed one is out of date."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--path", default="openapi.json")
        parser.add_argument("--check", action="store_true", help="Exit 1 when the file differs from the API.")

    def handle(self, *args: Any, path: str, check: bool, **options: Any) -> None:
        target = Path(path)
        schema = current_schema()
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != schema:
                raise CommandError(f"{target} is out of date: run `fangkong openapi` and commit the result.")
            self.stdout.write(f"{target} matches the API.")
            return
        target.write_text(schema, encoding="utf-8")
        self.stdout.write(f"Wrote {target}.")
