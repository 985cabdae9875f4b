"""Chinese resident ID numbers (GB 11643) and phone numbers (mobile, or landline with area code): normalise, validate, mask,
and what a record stores of them (sealed, keyed digest, mask)."""

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import fieldcrypt

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Spaces, zero-width and direction marks that come along when numbers are copied from documents.
_INVISIBLE = re.compile("[\\s\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a-\u202e\u2066-\u2069-]")


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: dt.date
    sex: str  # "M" or "F"


def check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize_id_number(raw: str) -> str:
    # NFKC turns full-width digits and Ｘ into their ASCII forms.
    text = unicodedata.normalize("NFKC", str(raw))
    return _INVISIBLE.sub("", text).upper()


def parse_id_number(raw: str) -> IdInfo:
    """Validate a resident ID number and return it normalised, with birth date and sex."""
    number = normalize_id_number(raw)
    if not number:
        raise ValidationError(_("The ID number is empty."), code="empty")
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationError(
            _("The ID number must be 18 characters: 17 digits and a final digit or X."), code="format"
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The ID number contains an impossible birth date."), code="birth") from None
    if birth.year < 1900:
        raise ValidationError(_("The ID number contains an impossible birth date."), code="birth")
    if check_digit(number[:17]) != number[17]:
        raise ValidationError(_("The ID number's check digit is wrong; please check every digit."), code="checksum")
    return IdInfo(number=number, birth_date=birth, sex=sex_of(number))


def sex_of(number: str) -> str:
    """The sex an 18-digit ID number states: its 17th digit is odd for men, even for women."""
    return "M" if number[16:17] in _ODD else "F"


_ODD = frozenset("13579")


# A landline with its area code: 010 and 02x are followed by 8 digits, the other (4-digit) area
# codes by 7 or 8 (0439-3211234).
_LANDLINE = re.compile(r"0(?:10|2\d)\d{8}|0[3-9]\d{2}[2-9]\d{6,7}")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LOCAL = re.compile(r"[2-9]\d{6,7}")
# An extension: "0439-3211234转801", "ext. 801", "0439-3211234-801".
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)\s*\d{1,6}$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[/／、,，;；|｜]|\s+或\s*|和")
_DIGITS = re.compile(r"\d")


def normalize_phone(raw: str) -> str:
    """Return a phone as its digits: an 11-digit mainland mobile number (accepting +86/0086
    prefixes, spaces and dashes), or a landline with its area code (0439-3211234 → 04393211234).

    Refused, each with its own code: two numbers in one cell ("two"), an extension
    ("extension"), a landline without its area code ("area"), anything else ("phone")."""
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    parts = [p for p in _SEPARATORS.split(text) if len(_DIGITS.findall(p)) >= 7]
    if len(parts) > 1:
        raise ValidationError(_("Give one phone number, not several."), code="two")
    groups = [g for g in re.split(r"[-—\s()]+", text) if g]
    if _EXTENSION.search(text) or (
        len(groups) >= 3 and len(groups[-1]) <= 5 and _LANDLINE.fullmatch("".join(groups[:-1]))
    ):
        raise ValidationError(_("Give the phone number without an extension."), code="extension")
    text = _INVISIBLE.sub("", text).replace("(", "").replace(")", "")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    if _MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text):
        return text
    if _LOCAL.fullmatch(text):
        raise ValidationError(_("Give a landline with its area code, e.g. 0439-3211234."), code="area")
    raise ValidationError(
        _("The phone must be an 11-digit mobile number or a landline with its area code."), code="phone")


# ---- what a record stores ------------------------------------------------------------------
# A record never stores an ID number or a phone in clear (see fangkong.core.fieldcrypt): it stores
# the value sealed, its keyed digest (matching, uniqueness) and its mask (what lists, the API and
# exports show without opening anything), all three made here and nowhere else. It keeps the birth
# year and the sex: with the mask, the birth date would give back the whole number.


def mask_id_number(number: str) -> str:
    """The one statement of the ID mask: area code and last four, the birth date starred."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """The one statement of the phone mask: carrier prefix and last four."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def id_number_columns(numbers: Sequence[str]) -> dict[str, list[Any]]:
    """What a record stores of each (validated) ID number, column by column: the record's setter
    and the ledger writer's COPY both come here."""
    return {
        "id_cipher": fieldcrypt.seal(numbers, "id_number"),
        "id_digest": fieldcrypt.digests(numbers, "id_number"),
        "id_masked": list(map(mask_id_number, numbers)),
        "sex": list(map(sex_of, numbers)),
        "birth_year": [int(n[6:10]) if n[6:10].isdigit() else 0 for n in numbers],
    }


def phone_columns(phones: Sequence[str]) -> dict[str, list[str]]:
    """What a record stores of each (normalised) phone, column by column; no phone stores nothing."""
    return {
        "phone_cipher": fieldcrypt.seal(phones, "phone"),
        "phone_digest": fieldcrypt.digests(phones, "phone"),
        "phone_masked": [mask_phone(p) if p else "" for p in phones],
    }


def id_digest(number: str) -> str:
    """The keyed digest a record is found by (a normalised ID number)."""
    return fieldcrypt.digest(number, "id_number")


def phone_digest(phone: str) -> str:
    return fieldcrypt.digest(phone, "phone")


class SealedIdentity:
    """``id_number`` and ``phone`` of a model that stores them sealed (fields ``id_cipher``,
    ``id_digest``, ``id_masked``, ``phone_cipher``, ``phone_digest``, ``phone_masked``, ``sex``,
    ``birth_year``).

    Setting either (also as a constructor argument: ``Person(id_number=...)``) fills its stored
    columns; reading it opens the sealed value, for the few who may (a reveal, which the audit
    log records, a clear export, the system's own comparisons). Lists show ``masked_id_number``
    and ``masked_phone``, which open nothing."""

    id_cipher: str
    id_masked: str
    phone_cipher: str
    phone_masked: str
    __dict__: dict[str, Any]

    def _opened(self, column: str, purpose: str) -> str:
        token: str = getattr(self, column)
        cached = self.__dict__.get(f"_clear_{column}")
        if cached is not None and cached[0] == token:
            return str(cached[1])
        value = fieldcrypt.unseal_one(token, purpose) if token else ""
        self.__dict__[f"_clear_{column}"] = (token, value)
        return value

    def _store(self, columns: dict[str, list[Any]], cipher: str, value: str) -> None:
        for name, values in columns.items():
            setattr(self, name, values[0])
        self.__dict__[f"_clear_{cipher}"] = (columns[cipher][0], value)

    @property
    def id_number(self) -> str:
        return self._opened("id_cipher", "id_number")

    @id_number.setter
    def id_number(self, number: str) -> None:
        self._store(id_number_columns([number]), "id_cipher", number)

    @property
    def phone(self) -> str:
        return self._opened("phone_cipher", "phone")

    @phone.setter
    def phone(self, phone: str) -> None:
        self._store(phone_columns([phone or ""]), "phone_cipher", phone or "")

    @property
    def masked_id_number(self) -> str:
        return self.id_masked

    @property
    def masked_phone(self) -> str:
        return self.phone_masked
