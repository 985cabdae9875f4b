"""Reads: verifying a token against the database, the revocation list, checkpoint zones."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, When
from django.utils import timezone

from fangkong.core import clock
from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink
from fangkong.people.models import Person
from fangkong.people.selectors import may_match_numbers, search_q

from . import tokens, verdict
from .choices import PassKind, PassStatus, Verdict
from .keys import current_key, public_keys
from .models import Pass, PassCheck, RevocationList

MAX_LIST_AGE = dt.timedelta(seconds=verdict.MAX_LIST_AGE)
"""A revocation list older than this is stale: the checkpoint page says so and passes nothing as valid."""

_zone_cache: dict[str, tuple[float, tuple[int, frozenset[int]] | None]] = {}
_zone_lock = threading.Lock()
ZONE_CACHE_SECONDS = 60.0
ZONE_CACHE_ENTRIES = 10_000
CODE_MAX_LENGTH = Unit._meta.get_field("code").max_length or 32


def checkpoint_zone(code: str) -> tuple[int, frozenset[int]] | None:
    """The checkpoint's id and the ids of it and every unit above it (its community and street),
    or None for an unknown code. Cached briefly: the tree changes rarely."""
    if len(code) > CODE_MAX_LENGTH:
        return None  # no unit has such a code: nothing to ask, nothing to remember
    now = time.monotonic()
    hit = _zone_cache.get(code)  # one dict read is atomic; the lock guards the writes
    if hit is not None and now - hit[0] < ZONE_CACHE_SECONDS:
        return hit[1]
    unit_id = Unit.objects.filter(code=code, kind=UnitKind.CHECKPOINT).values_list("id", flat=True).first()
    value = None
    if unit_id is not None:
        above = UnitLink.objects.filter(descendant_id=unit_id).values_list("ancestor_id", flat=True)
        value = (unit_id, frozenset(above))
    with _zone_lock:
        if len(_zone_cache) >= ZONE_CACHE_ENTRIES:  # bounded: entries × codes of at most 32 characters
            _zone_cache.clear()
        _zone_cache[code] = (now, value)
    return value


def ended_secondment_pass_ids(day: dt.date, now: dt.datetime) -> list[int]:
    """Live staff passes whose holder's secondment has ended as of ``day`` (``verdict.secondment_ended``,
    applied to the holders who have any secondment ended before ``day``)."""
    from fangkong.deployment.models import Secondment

    candidates = dict(
        Pass.objects.filter(kind=PassKind.STAFF, status=PassStatus.ISSUED, valid_until__gt=now)
        .filter(person_id__in=Secondment.objects.filter(ends_on__lt=day).values("person_id"))
        .values_list("id", "person_id")
    )
    spans: dict[int, list[verdict.Span]] = {}
    for person_id, start, end in Secondment.objects.filter(person_id__in=set(candidates.values())).values_list(
        "person_id", "starts_on", "ends_on"
    ):
        spans.setdefault(person_id, []).append((start, end))
    return sorted(pid for pid, person_id in candidates.items() if verdict.secondment_ended(spans.get(person_id, ()), day))


def forget_all() -> None:
    with _zone_lock:
        _zone_cache.clear()


def secondment_spans(person_id: int) -> list[verdict.Span]:
    """The person's secondments as (starts_on, ends_on), read at every check (one indexed query),
    as the lean path reads them in its statement: an ended secondment counts at once everywhere."""
    from fangkong.deployment.models import Secondment

    return list(Secondment.objects.filter(person_id=person_id).order_by().values_list("starts_on", "ends_on"))


def _pass_row(pass_id: int) -> Pass | None:
    return Pass.objects.filter(pk=pass_id).only("id", "number", "kind", "status", "person_id", "token").first()


def revocation_document(now: dt.datetime | None = None) -> dict[str, Any]:
    """The signed revocation list as served: ``payload`` is JSON text, ``sig`` the Ed25519 signature
    of its UTF-8 bytes by key ``kid``. Signed afresh at every fetch so ``issued_at`` is its age."""
    now = now or clock.now()
    latest = RevocationList.objects.order_by("-version").first()
    payload = {
        "version": latest.version if latest else 0,
        "issued_at": int(now.timestamp()),
        "revoked": latest.revoked if latest else [],
        "suspended": latest.suspended if latest else [],
        "ended": ended_secondment_pass_ids(timezone.localdate(now), now),
        "max_age": int(MAX_LIST_AGE.total_seconds()),
    }
    text = json.dumps(payload, separators=(",", ":"))
    key, private = current_key()
    return {"kid": key.key_id, "payload": text, "sig": base64.b64encode(private.sign(text.encode())).decode()}


def parse_revocation_document(doc: dict[str, Any], keys: dict[int, Any]) -> tokens.RevocationState:
    """Check a served revocation list's signature and read it (a verifier without the database does this)."""
    key = keys.get(int(doc["kid"]))
    if key is None:
        raise ValueError("unknown key")
    key.verify(base64.b64decode(doc["sig"]), doc["payload"].encode())
    data = json.loads(doc["payload"])
    return tokens.RevocationState(
        revoked=frozenset(data["revoked"]), suspended=frozenset(data["suspended"]),
        ended=frozenset(data.get("ended", [])),
        issued_at=dt.datetime.fromtimestamp(data["issued_at"], dt.UTC), version=data["version"],
    )


@dataclass
class Verification:
    """The server's answer to "is this pass good here, now?"."""

    verdict: str
    claims: tokens.PassClaims | None
    pass_obj: Pass | None = None
    list_age: dt.timedelta | None = None

    @property
    def label(self) -> str:
        return str(Verdict(self.verdict).label)


def verify_token(token: str, *, checkpoint_code: str | None = None, now: dt.datetime | None = None) -> Verification:
    """Verify a token online: the signature from the token, the pass's state and its holder's
    secondments from the database at this check (a revocation counts at once), the zone from the
    checkpoint; ``verdict.decide`` concludes."""
    now = now or clock.now()
    zone = checkpoint_zone(checkpoint_code) if checkpoint_code else None
    try:
        body, signature = tokens.split(token)
        claims: tokens.PassClaims | None = tokens.unpack(body)
    except tokens.TokenError:
        body = signature = b""
        claims = None
    p = _pass_row(claims.pass_id) if claims else None
    facts = pass_facts(
        token=tokens.signature_state(body, signature, claims, public_keys=public_keys()) if claims else Verdict.UNREADABLE,
        claims=claims, now=now, checkpoint_zones=zone[1] if zone else None,
        on_record=p is not None and p.token == token.strip().upper(), status=p.status if p else None,
        spans=secondment_spans(p.person_id) if p and p.kind == PassKind.STAFF and p.person_id else (),
    )
    return Verification(verdict=verdict.decide(facts), claims=claims, pass_obj=p)


def pass_facts(*, token: str, claims: tokens.PassClaims | None, now: dt.datetime,
               checkpoint_zones: frozenset[int] | None, on_record: bool, status: str | None,
               spans: Sequence[verdict.Span]) -> verdict.Facts:
    """The facts of an online check, from what the token says (``token``: its signature state;
    ``claims``: None when unreadable) and what the database holds. The Django endpoint, the
    ``verify_pass`` command and the lean path all build them here."""
    if claims is None:
        return verdict.Facts(token=token, now=now.timestamp())
    return verdict.Facts(
        token=token, now=now.timestamp(), valid_from=claims.valid_from.timestamp(),
        valid_until=claims.valid_until.timestamp(), pass_zones=claims.zones, checkpoint_zones=checkpoint_zones,
        online=True, on_record=on_record, status=status or PassStatus.ISSUED,
        secondment_ended=bool(spans) and verdict.secondment_ended(spans, timezone.localdate(now)),
    )


def user_scope_units(user_id: int) -> list[int]:
    """The units of the user's scope (``UserScope``), as the lean path reads them in its statement."""
    from fangkong.accounts.models import UserScope

    return list(UserScope.objects.filter(user_id=user_id).values_list("unit_id", flat=True))


def find_by_number(number: str) -> Pass | None:
    """The pass with this number, in its stored form (``numbering.parse_number`` makes it). Not a
    scoped read: only ``services.lookup_by_number`` calls it, which decides what the caller learns."""
    return Pass.objects.filter(number=number).only("id", "number", "kind", "status", "person_id", "token").first()


def valid_in_zone(p: Pass, zone_ids: frozenset[int]) -> bool:
    """Whether the pass names a zone that holds the checkpoint (``zone_ids``: the checkpoint and
    every unit above it), or no zone at all (valid everywhere). Read from its signed token, as
    every verifier reads it."""
    try:
        zones = tokens.unpack(tokens.split(p.token)[0]).zones
    except tokens.TokenError:
        return False
    return not zones or not zone_ids.isdisjoint(zones)


def passes_block(day: dt.date) -> dict[str, int]:
    """The ``passes`` block of ``fangkong stats``: passes issued by the end of ``day``, revoked, checks."""
    tz = timezone.get_current_timezone()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return pass_figures(Pass.objects.all(), PassCheck.objects.all(), end)


def pass_figures(passes: Any, checks: Any, end: dt.datetime) -> dict[str, int]:
    """Passes issued before ``end``, those revoked by then, and the checks logged before it, over
    the passes and checks given (the whole city, or a user's scope on the command picture)."""
    issued = passes.filter(issued_at__lt=end).aggregate(
        staff=Count("id", filter=Q(kind=PassKind.STAFF)),
        vehicle=Count("id", filter=Q(kind=PassKind.VEHICLE)),
        revoked=Count("id", filter=Q(status=PassStatus.REVOKED, status_changed_at__lt=end)),
    )
    return {
        "staff_issued": issued["staff"],
        "vehicle_issued": issued["vehicle"],
        "revoked": issued["revoked"],
        "verifications": checks.filter(checked_at__lt=end).count(),
    }


# ---- issuing ----------------------------------------------------------------------------------


def pass_holders(user: Any, text: str = "") -> QuerySet[Person]:
    """The people a staff pass may be issued to by ``user``: active, in the user's scope, found by
    name, pinyin initials (``lal`` for 李爱丽) or the name of their unit. A full ID number or phone
    matches only for a role that may see them (``people.selectors.may_match_numbers``)."""
    qs = Person.objects.visible_to(user).filter(is_active=True)
    text = text.strip()[:50]
    if text:
        qs = qs.filter(
            search_q(text, full_numbers=may_match_numbers(user))
            | Q(unit__name__icontains=text) | Q(unit__short_name__icontains=text)
        )
        # Names that hold the text first, then initials, then people of a unit of that name.
        return qs.select_related("unit").order_by(
            Case(When(name__icontains=text, then=0), default=1, output_field=IntegerField()), "name_initials", "id",
        )
    return qs.select_related("unit").order_by("name_initials", "id")
