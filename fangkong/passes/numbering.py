"""Pass numbers: random, with a check character, printed on the card and typed at checkpoints.

A number reads ``S4KX-7M2Q-9T``: the kind's letter (S staff, V vehicle), eight random characters
and a check character, grouped by hyphens for reading aloud and typing. The alphabet leaves out
0/O and 1/I, which people confuse on a printed card. Eight random characters from 32 are 40 bits:
with a rate limit on lookups by number nobody finds a pass by guessing (sequential numbers let a
checkpoint officer walk through every pass).

The check character is Luhn mod 32 over the kind letter and the random part: every single
mistyped character and nearly every swap of two neighbours is caught before the database is
asked. Nothing here touches the database; a data migration uses it as well, so the alphabet and
the check must not change (every card in circulation would stop validating).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
BASE = len(ALPHABET)  # 32
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
RANDOM_LENGTH = 8
KIND_LETTER = {"staff": "S", "vehicle": "V"}
LENGTH = 1 + RANDOM_LENGTH + 1  # without the hyphens
LEGACY = re.compile(r"^[SV]\d{1,7}$")
"""The sequential numbers used before (``S000123``): no longer valid, answered with their own message."""
_SEPARATORS = re.compile(r"[\s\-_.·]+")


class NumberError(ValueError):
    """The text is not a well-formed pass number. ``code`` says why (for the answer's message)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code if not detail else f"{code}: {detail}")
        self.code = code
        self.detail = detail


def check_character(text: str) -> str:
    """The Luhn mod 32 check character of ``text`` (characters of ``ALPHABET``)."""
    factor = 2
    total = 0
    for char in reversed(text):
        addend = factor * _VALUE[char]
        total += addend // BASE + addend % BASE
        factor = 3 - factor
    return ALPHABET[(BASE - total % BASE) % BASE]


def _check_passes(text: str) -> bool:
    factor = 1
    total = 0
    for char in reversed(text):
        addend = factor * _VALUE[char]
        total += addend // BASE + addend % BASE
        factor = 3 - factor
    return total % BASE == 0


def grouped(compact: str) -> str:
    """``S4KX7M2Q9T`` → ``S4KX-7M2Q-9T`` (the stored and printed form)."""
    return f"{compact[:4]}-{compact[4:8]}-{compact[8:]}"


def new_number(kind: str) -> str:
    """A fresh random number for a pass of ``kind``, from the operating system's secure source."""
    body = KIND_LETTER[kind] + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return grouped(body + check_character(body))


def parse_number(text: str) -> str:
    """The stored form of a typed number, or ``NumberError``: spaces, hyphens and case do not
    matter; a wrong character, a wrong length or a failed check character are refused."""
    compact = _SEPARATORS.sub("", text or "").upper()
    if not compact:
        raise NumberError("empty")
    if LEGACY.match(compact):
        raise NumberError("legacy")
    wrong = sorted({c for c in compact if c not in _VALUE})
    if wrong:
        raise NumberError("characters", "".join(wrong)[:10])
    if len(compact) != LENGTH or compact[0] not in KIND_LETTER.values():
        raise NumberError("length")
    if not _check_passes(compact):
        raise NumberError("check")
    return grouped(compact)
