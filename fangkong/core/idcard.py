"""Chinese resident ID numbers (GB 11643) and mobile phone numbers: normalise, validate, mask."""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdInfo(number=number, birth_date=birth, sex=sex)


def normalize_phone(raw: str) -> str:
    """Return an 11-digit mainland mobile number, accepting +86/0086 prefixes, spaces and dashes."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", str(raw)))
    text = text.replace("(", "").replace(")", "")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    if not re.fullmatch(r"1[3-9]\d{9}", text):
        raise ValidationError(_("The mobile number must be 11 digits starting with 13-19."), code="phone")
    return text


def mask_id_number(number: str) -> str:
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


class MaskedContactMixin:
    """``masked_id_number`` and ``masked_phone`` for a model with ``id_number`` and ``phone``."""

    id_number: str
    phone: str

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""
