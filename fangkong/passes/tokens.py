"""The signed pass token carried by the QR code, and the checks a verifier makes on it.

Nothing here touches the database: a verifier needs only the public keys and a revocation list,
which is what the offline checkpoint page has too (``static/passes/checkpoint.js`` reads and
checks tokens the same way in the browser). The verdict itself is ``verdict.decide``'s, for every
verifier.

Layout (version 1), all integers big-endian::

    0      version (1)
    1      kind (1 staff, 2 vehicle)
    2..3   key id
    4..7   pass id
    8..11  valid from (Unix seconds)
    12..15 valid until (Unix seconds)
    16..19 unit id
    20     n, then n bytes: holder's name or plate (UTF-8)
    ..     n, then n bytes: unit's short name (UTF-8)
    ..     n, then n * 4 bytes: zone unit ids (none: valid everywhere)
    last 64 bytes: Ed25519 signature over everything before it

The bytes are written in base45 (RFC 9285), whose alphabet is the QR code's alphanumeric mode,
so a typical staff pass (about 120 bytes) is a version 7–8 QR code that scans from a printed card.
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .verdict import SIGNED, Facts, decide

PREFIX = "FK1:"
VERSION = 1
KIND_CODES = {"staff": 1, "vehicle": 2}
KIND_NAMES = {v: k for k, v in KIND_CODES.items()}
SIGNATURE_LEN = 64
MAX_TEXT = 60
MAX_ZONES = 16
_HEAD = struct.Struct(">BBHIIII")

B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_INDEX = {c: i for i, c in enumerate(B45)}


class TokenError(ValueError):
    """The text is not a well-formed pass token (truncated, garbled, wrong version)."""


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out += [B45[c], B45[d], B45[e]]
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += [B45[c], B45[d]]
    return "".join(out)


_B45_BYTES = B45.encode()
_B45_VALUES = bytes.maketrans(_B45_BYTES, bytes(range(45)))


def b45decode(text: str) -> bytes:
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise TokenError("character outside base45") from None
    if raw.translate(None, _B45_BYTES):
        raise TokenError("character outside base45")
    values = raw.translate(_B45_VALUES)
    rest = len(values) % 3
    if rest == 1:
        raise TokenError("base45 text of impossible length")
    full = len(values) - rest
    columns = values[0:full:3], values[1:full:3], values[2:full:3]
    triples = [a + b * 45 + c * 2025 for a, b, c in zip(*columns, strict=True)]
    if triples and max(triples) > 0xFFFF:
        raise TokenError("base45 triple out of range")
    out = struct.pack(f">{len(triples)}H", *triples)
    if rest == 2:
        n = values[-2] + values[-1] * 45
        if n > 0xFF:
            raise TokenError("base45 pair out of range")
        out += bytes([n])
    return out


@dataclass(frozen=True)
class PassClaims:
    """What a pass token says about its pass."""

    key_id: int
    pass_id: int
    kind: str
    holder: str
    unit_id: int
    unit_name: str
    valid_from: dt.datetime
    valid_until: dt.datetime
    zones: tuple[int, ...] = field(default_factory=tuple)


EARLIEST = dt.datetime.fromtimestamp(0, dt.UTC)
LATEST = dt.datetime.fromtimestamp(2**32 - 1, dt.UTC)
"""The validity dates a token can carry (unsigned 32-bit seconds)."""


def _ts(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("aware datetime required")
    return int(moment.timestamp())


def _text(value: str) -> bytes:
    raw = value.encode()[:MAX_TEXT * 3]
    # Cut on a character boundary so the browser decodes the same text.
    return raw.decode(errors="ignore").encode()[:255]


def pack(claims: PassClaims) -> bytes:
    if len(claims.zones) > MAX_ZONES:
        raise ValueError("too many zones")
    head = _HEAD.pack(
        VERSION, KIND_CODES[claims.kind], claims.key_id, claims.pass_id,
        _ts(claims.valid_from), _ts(claims.valid_until), claims.unit_id,
    )
    holder, unit = _text(claims.holder), _text(claims.unit_name)
    zones = struct.pack(f">B{len(claims.zones)}I", len(claims.zones), *claims.zones)
    return head + bytes([len(holder)]) + holder + bytes([len(unit)]) + unit + zones


def sign(claims: PassClaims, private_key: Ed25519PrivateKey) -> str:
    body = pack(claims)
    return PREFIX + b45encode(body + private_key.sign(body))


def split(token: str) -> tuple[bytes, bytes]:
    """The signed body and the signature; raises TokenError for anything malformed."""
    text = token.strip()
    if not text.upper().startswith(PREFIX):
        raise TokenError("missing prefix")
    raw = b45decode(text[len(PREFIX) :].upper())
    if len(raw) < _HEAD.size + 3 + SIGNATURE_LEN:
        raise TokenError("too short")
    return raw[:-SIGNATURE_LEN], raw[-SIGNATURE_LEN:]


def unpack(body: bytes) -> PassClaims:
    try:
        version, kind, key_id, pass_id, start, end, unit_id = _HEAD.unpack_from(body)
        if version != VERSION or kind not in KIND_NAMES:
            raise TokenError("unknown version or kind")
        pos = _HEAD.size
        texts = []
        for _ in range(2):
            n = body[pos]
            texts.append(body[pos + 1 : pos + 1 + n].decode())
            if "\x00" in texts[-1]:
                raise TokenError("NUL in a text")  # no text the platform signs holds one
            if len(body) < pos + 1 + n:
                raise TokenError("truncated text")
            pos += 1 + n
        count = body[pos]
        zones = struct.unpack_from(f">{count}I", body, pos + 1)
        if pos + 1 + 4 * count != len(body):
            raise TokenError("trailing or missing bytes")
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise TokenError("garbled body") from exc
    return PassClaims(
        key_id=key_id, pass_id=pass_id, kind=KIND_NAMES[kind], holder=texts[0], unit_id=unit_id,
        unit_name=texts[1], valid_from=dt.datetime.fromtimestamp(start, dt.UTC),
        valid_until=dt.datetime.fromtimestamp(end, dt.UTC), zones=tuple(zones),
    )


@dataclass(frozen=True)
class RevocationState:
    """What the verifier knows about withdrawn passes, and since when."""

    revoked: frozenset[int] = frozenset()
    suspended: frozenset[int] = frozenset()
    ended: frozenset[int] = frozenset()  # staff passes whose holder's secondment has ended
    issued_at: dt.datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class Outcome:
    """A verdict (a ``Verdict`` value) with what the token said, when it could be read."""

    verdict: str
    claims: PassClaims | None = None
    list_age: dt.timedelta | None = None  # set when the revocation list is stale


VERIFIED_MEMO = 100_000
"""How many verified signatures a process remembers (about 30 MB at most): a pass is checked many
times a day, and an Ed25519 verification costs a fifth of a millisecond of CPU."""
_verified_memo: set[bytes] = set()


def _verified(key: Ed25519PublicKey, body: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``key``'s signature of ``body``. A signature that verified once is
    remembered with the key's bytes, so it verifies again without the arithmetic; a signature that
    failed is never remembered, so nothing is ever wrongly accepted."""
    seen = key.public_bytes_raw() + signature + body
    if seen in _verified_memo:
        return True
    try:
        key.verify(signature, body)
    except InvalidSignature:
        return False
    if len(_verified_memo) >= VERIFIED_MEMO:
        _verified_memo.clear()
    _verified_memo.add(seen)
    return True


def signature_state(
    body: bytes, signature: bytes, claims: PassClaims, *, public_keys: dict[int, Ed25519PublicKey]
) -> str:
    """What the signature says of a token already split and unpacked: ``unknown_key``, ``forged``,
    or ``verdict.SIGNED``. The first facts of every verdict (``verdict.decide``)."""
    key = public_keys.get(claims.key_id)
    if key is None:
        return "unknown_key"
    if not _verified(key, body, signature):
        return "forged"
    return SIGNED


def check(
    token: str,
    *,
    public_keys: dict[int, Ed25519PublicKey],
    revocations: RevocationState,
    now: dt.datetime,
    zone_ids: frozenset[int] | None = None,
    max_list_age: dt.timedelta = dt.timedelta(hours=6),
) -> Outcome:
    """Verify a token offline, from the public keys and a revocation list alone (what the
    checkpoint page does in the browser). ``zone_ids`` are the checkpoint and the units above it
    (None: no zone check). The verdict is ``verdict.decide``'s; the order of its checks is written
    there."""
    try:
        body, signature = split(token)
        claims = unpack(body)
    except TokenError:
        return Outcome("unreadable")
    age = now - revocations.issued_at if revocations.issued_at else None
    pass_id = claims.pass_id
    status = "revoked" if pass_id in revocations.revoked else "suspended" if pass_id in revocations.suspended else "issued"
    verdict = decide(Facts(
        token=signature_state(body, signature, claims, public_keys=public_keys), online=False,
        now=now.timestamp(), valid_from=claims.valid_from.timestamp(), valid_until=claims.valid_until.timestamp(),
        pass_zones=claims.zones, checkpoint_zones=zone_ids, status=status,
        secondment_ended=pass_id in revocations.ended,
        list_age=None if age is None else age.total_seconds(), max_list_age=max_list_age.total_seconds(),
    ))
    return Outcome(verdict, claims, age if verdict == "stale_list" else None)
