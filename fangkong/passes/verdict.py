"""The pass verdict: one pure function that every verifier calls.

Each path gathers the facts its own way and hands them to ``decide``: the Django endpoint and the
``verify_pass`` command (``selectors.verify_token``) read the pass's row with the ORM; the lean
path (``fastpath``) reads the same rows in its one statement; the offline verifier in Python
(``tokens.check``) reads a signed revocation list. ``static/passes/checkpoint.js`` carries the
same function in the browser (``decide`` there, the same order line by line). The table
``data/verdict_cases.json`` (facts → verdict) is run through this function, through every server
path and through the browser's, so none of them can drift.

The order of the checks (the first that applies is the verdict):

 1. ``unreadable``, ``unknown_key``, ``forged``: a token that cannot be trusted says nothing else;
 2. ``not_found`` (online only): no pass on record carries this very token;
 3. ``revoked``, 4. ``suspended``, 5. ``secondment_ended``: a withdrawn pass is reported as
    withdrawn, before anything its signed dates say;
 6. ``not_yet_valid``, 7. ``expired``: the validity window [valid_from, valid_until);
 8. ``wrong_zone``: the pass names zones and none of them holds the checkpoint;
 9. ``stale_list`` (offline only): a revocation list older than its maximum age (or none at all)
    never lets a pass through as valid, but does not hide a reason found above;
10. ``valid``.

Nothing here reads the database or the clock: the caller passes ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from .choices import PassStatus, Verdict

SIGNED = "signed"
"""The token state of a token whose signature verified under a known key."""
TOKEN_STATES = (Verdict.UNREADABLE.value, Verdict.UNKNOWN_KEY.value, Verdict.FORGED.value, SIGNED)
MAX_LIST_AGE = 6 * 3600
"""Seconds after which a revocation list is stale (the checkpoint page's list says its own)."""


class Facts(NamedTuple):
    """Everything a verdict depends on, as the verifier found it. Moments are Unix seconds.
    (A named tuple: made at every check, it costs a fraction of a frozen dataclass.)"""

    token: str  # SIGNED, or what reading the text found: unreadable, unknown_key, forged
    now: float
    valid_from: float = 0.0
    valid_until: float = 0.0
    pass_zones: tuple[int, ...] = ()  # none: valid everywhere
    checkpoint_zones: frozenset[int] | None = None  # the checkpoint and every unit above it; None: no checkpoint
    online: bool = True  # the pass's state was read from the database at this check
    on_record: bool = True  # online: a pass on record carries this very token (offline: cannot be known)
    status: str = PassStatus.ISSUED  # revoked and suspended withdraw the pass (online: its row; offline: the list)
    secondment_ended: bool = False  # a staff pass whose holder's secondment has ended (``secondment_ended``)
    list_age: float | None = None  # offline: seconds since the revocation list was issued; None: no list
    max_list_age: float = MAX_LIST_AGE


def decide(f: Facts) -> str:
    """The verdict (a ``Verdict`` value) for these facts, in the order of the module's docstring."""
    if f.token != SIGNED:
        return f.token
    if f.online and not f.on_record:
        return Verdict.NOT_FOUND
    if f.status == PassStatus.REVOKED:
        return Verdict.REVOKED
    if f.status == PassStatus.SUSPENDED:
        return Verdict.SUSPENDED
    if f.secondment_ended:
        return Verdict.SECONDMENT_ENDED
    if f.now < f.valid_from:
        return Verdict.NOT_YET_VALID
    if f.now >= f.valid_until:
        return Verdict.EXPIRED
    if f.checkpoint_zones is not None and f.pass_zones and f.checkpoint_zones.isdisjoint(f.pass_zones):
        return Verdict.WRONG_ZONE
    if not f.online and (f.list_age is None or f.list_age > f.max_list_age):
        return Verdict.STALE_LIST
    return Verdict.VALID


Span = tuple[dt.date, dt.date | None]


def secondment_ended(spans: Iterable[Span], day: dt.date) -> bool:
    """Whether a person's secondment has ended as of ``day``: they were seconded (a secondment
    ended before ``day``) and are not seconded on ``day`` (none runs from its start to its end,
    both included, or open-ended). ``spans``: the person's (starts_on, ends_on) pairs. The one
    statement of the rule: the online verifiers read the spans live at each check, the revocation
    list applies it to every live staff pass."""
    ended = False
    for start, end in spans:
        if start <= day and (end is None or end >= day):
            return False
        if end is not None and end < day:
            ended = True
    return ended
