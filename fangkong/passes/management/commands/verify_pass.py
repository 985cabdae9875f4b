"""fangkong verify_pass TOKEN [--checkpoint CODE]: print the verdict; exit 0 only for a valid pass."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fangkong.passes.choices import CheckSource, Verdict
from fangkong.passes.selectors import checkpoint_zone, find_by_number, verify_token
from fangkong.passes.services import record_check


class Command(BaseCommand):
    help = "Verify a pass token (the QR text) or pass number; exit status 0 only when the pass is valid."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("token", help="The QR text (FK1:...) or the printed pass number.")
        parser.add_argument("--checkpoint", help="Checkpoint code: checks the pass's zones and logs the check.")

    def handle(self, *args: Any, token: str, checkpoint: str | None = None, **options: Any) -> None:
        zone = None
        if checkpoint:
            zone = checkpoint_zone(checkpoint)
            if zone is None:
                raise CommandError(f"No checkpoint with code {checkpoint!r}.")
        if not token.strip().upper().startswith("FK1:"):
            found = find_by_number(token)
            token = found.token if found else ""
        result = verify_token(token, checkpoint_code=checkpoint) if token else None
        verdict = result.verdict if result else Verdict.NOT_FOUND
        claims = result.claims if result else None
        p = result.pass_obj if result else None
        if zone is not None:
            from fangkong.orgs.models import Unit

            record_check(
                actor=None, checkpoint=Unit.objects.get(pk=zone[0]), verdict=verdict, pass_id=p.pk if p else None,
                holder=claims.holder if claims else "", source=CheckSource.CLI,
            )
        self.stdout.write(f"{Verdict(verdict).label} ({verdict})")
        if claims is not None:
            tz = timezone.get_current_timezone()
            self.stdout.write(
                f"{p.number if p else '#' + str(claims.pass_id)}  {claims.holder}  {claims.unit_name}  "
                f"{claims.valid_from.astimezone(tz):%Y-%m-%d %H:%M} – {claims.valid_until.astimezone(tz):%Y-%m-%d %H:%M}"
            )
        if verdict != Verdict.VALID:
            sys.exit(1)
