"""fangkong verify_pass (TOKEN | NUMBER --checkpoint CODE) [--user USERNAME]: print the verdict;
exit 0 only for a valid pass."""

import sys
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.core.actors import SYSTEM, Actor
from fangkong.orgs.models import Unit
from fangkong.passes import services
from fangkong.passes.choices import CheckSource, Verdict
from fangkong.passes.selectors import checkpoint_zone, verify_token
from fangkong.passes.tokens import PREFIX, PassClaims


class Command(BaseCommand):
    help = (
        "Verify a pass token (the QR text) or a pass number; exit status 0 only when the pass is valid. "
        "A number is looked up at a checkpoint (--checkpoint), as a user when --user is given (their scope "
        "and their lookup limit), and every lookup is audited; its answer names the holder only when the "
        "pass is valid in that checkpoint's zone."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("token", help="The QR text (FK1:...) or the printed pass number.")
        parser.add_argument("--checkpoint", help="Checkpoint code: checks the pass's zones and logs the check.")
        parser.add_argument("--user", help="Act as this user (checkpoint in their scope); default: the console.")

    def handle(self, *args: Any, token: str, checkpoint: str | None = None, user: str | None = None,
               **options: Any) -> None:
        actor: Actor = SYSTEM  # the console
        if user:
            account = User.objects.filter(username=user, is_active=True).first()
            if account is None:
                raise CommandError(f"No active user {user!r}.")
            actor = account
        unit = None
        if checkpoint:
            zone = checkpoint_zone(checkpoint)
            if zone is None:
                raise CommandError(f"No checkpoint with code {checkpoint!r}.")
            unit = Unit.objects.get(pk=zone[0])
        if token.strip().upper().startswith(PREFIX):
            verdict, claims, number = self._by_token(token, unit, actor)
        else:
            verdict, claims, number = self._by_number(token, unit, actor)
        self.stdout.write(f"{Verdict(verdict).label} ({verdict})")
        if claims is not None:
            tz = timezone.get_current_timezone()
            self.stdout.write(
                f"{number or '#' + str(claims.pass_id)}  {claims.holder}  {claims.unit_name}  "
                f"{claims.valid_from.astimezone(tz):%Y-%m-%d %H:%M} – {claims.valid_until.astimezone(tz):%Y-%m-%d %H:%M}"
            )
        if verdict != Verdict.VALID:
            sys.exit(1)

    def _by_token(self, token: str, unit: Unit | None, actor: Actor) -> tuple[str, PassClaims | None, str]:
        result = verify_token(token, checkpoint_code=unit.code if unit else None)
        p = result.pass_obj
        if unit is not None:
            try:
                services.record_check(
                    actor=actor, checkpoint=unit, verdict=result.verdict, pass_id=p.pk if p else None,
                    holder=result.claims.holder if result.claims else "", source=CheckSource.CLI,
                )
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from exc
        return result.verdict, result.claims, p.number if p else ""

    def _by_number(self, number: str, unit: Unit | None, actor: Actor) -> tuple[str, PassClaims | None, str]:
        if unit is None:
            raise CommandError("A pass number is looked up at a checkpoint: give --checkpoint CODE.")
        try:
            found = services.lookup_by_number(actor=actor, number=number, checkpoint=unit, source=CheckSource.CLI)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except services.LookupThrottled as exc:
            raise CommandError(exc.message) from exc
        return found.verdict, found.claims, found.number if found.pass_obj else ""
