"""Reads: verifying a token against the database, the revocation list, checkpoint zones."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from fangkong.orgs.choices import UnitKind
from fangkong.orgs.models import Unit, UnitLink

from . import tokens
from .choices import PassKind, PassStatus, Verdict
from .keys import current_key, public_keys
from .models import Pass, PassCheck, RevocationList

MAX_LIST_AGE = dt.timedelta(hours=6)
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
    """Live staff passes whose holder was seconded but is no longer seconded on ``day``."""
    from fangkong.deployment.models import Secondment
    from fangkong.deployment.selectors import active_on

    active = Secondment.objects.filter(active_on(day)).values("person_id")
    ended = Secondment.objects.filter(ends_on__lt=day).values("person_id")
    return sorted(
        Pass.objects.filter(kind=PassKind.STAFF, status=PassStatus.ISSUED, valid_until__gt=now)
        .filter(person_id__in=ended)
        .exclude(person_id__in=active)
        .values_list("id", flat=True)
    )


# The pass itself is read by primary key at every verification, so a revocation counts at once in
# every web worker. A holder's secondment spans are kept in the process for a minute on this path
# (the lean path in ``fastpath.py`` reads them in its one query instead).
SECONDMENT_CACHE_SECONDS = 60.0
_row_cache: dict[tuple[str, int], tuple[float, Any]] = {}
_row_lock = threading.Lock()


def _cached(kind: str, key: int, ttl: float, load: Any) -> Any:
    now = time.monotonic()
    hit = _row_cache.get((kind, key))
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = load()
    with _row_lock:
        if len(_row_cache) > 100_000:
            _row_cache.clear()
        _row_cache[(kind, key)] = (now, value)
    return value


def forget_all() -> None:
    with _row_lock:
        _row_cache.clear()
        _zone_cache.clear()


def _secondment_spans(person_id: int) -> list[tuple[dt.date, dt.date | None]]:
    from fangkong.deployment.models import Secondment

    return list(Secondment.objects.filter(person_id=person_id).order_by().values_list("starts_on", "ends_on")[:50])


def holder_secondment_ended(person_id: int, day: dt.date) -> bool:
    """Whether the person was seconded but is not on ``day`` (one indexed query, cached a minute)."""
    spans = _cached("secondments", person_id, SECONDMENT_CACHE_SECONDS, lambda: _secondment_spans(person_id))
    active = any(start <= day and (end is None or end >= day) for start, end in spans)
    return not active and any(end is not None and end < day for _start, end in spans)


def _pass_row(pass_id: int) -> Pass | None:
    return Pass.objects.filter(pk=pass_id).only("id", "number", "kind", "status", "person_id", "token").first()


def revocation_document(now: dt.datetime | None = None) -> dict[str, Any]:
    """The signed revocation list as served: ``payload`` is JSON text, ``sig`` the Ed25519 signature
    of its UTF-8 bytes by key ``kid``. Signed afresh at every fetch so ``issued_at`` is its age."""
    now = now or timezone.now()
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
    """Verify a token online: signature and dates from the token, state from the database (so a
    revocation counts at once), zone from the checkpoint, and the holder's secondment."""
    now = now or timezone.now()
    zone = checkpoint_zone(checkpoint_code) if checkpoint_code else None
    zone_ids = zone[1] if zone else None
    p = None
    try:
        body, _sig = tokens.split(token)
        pass_id = tokens.unpack(body).pass_id
        p = _pass_row(pass_id)
    except tokens.TokenError:
        pass
    state = tokens.RevocationState(
        revoked=frozenset([p.pk]) if p and p.status == PassStatus.REVOKED else frozenset(),
        suspended=frozenset([p.pk]) if p and p.status == PassStatus.SUSPENDED else frozenset(),
        issued_at=now,
    )
    outcome = tokens.check(token, public_keys=public_keys(), revocations=state, now=now, zone_ids=zone_ids)
    verdict = outcome.verdict
    if verdict == Verdict.VALID and (p is None or p.token != token.strip().upper()):
        # Signed by our key but not a pass on record (e.g. a database restored from before it).
        verdict = Verdict.NOT_FOUND
    if (
        verdict == Verdict.VALID and p is not None and p.kind == PassKind.STAFF and p.person_id is not None
        and holder_secondment_ended(p.person_id, timezone.localdate(now))
    ):
        verdict = Verdict.SECONDMENT_ENDED
    return Verification(verdict=verdict, claims=outcome.claims, pass_obj=p)


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
    issued = Pass.objects.filter(issued_at__lt=end).aggregate(
        staff=Count("id", filter=Q(kind=PassKind.STAFF)),
        vehicle=Count("id", filter=Q(kind=PassKind.VEHICLE)),
        revoked=Count("id", filter=Q(status=PassStatus.REVOKED, status_changed_at__lt=end)),
    )
    return {
        "staff_issued": issued["staff"],
        "vehicle_issued": issued["vehicle"],
        "revoked": issued["revoked"],
        "verifications": PassCheck.objects.filter(checked_at__lt=end).count(),
    }
