"""Chinese number plates (GA 36): normalising what people type and refusing what cannot be a plate."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Letters on plates: I and O are never used (they read as 1 and 0).
_L = "A-HJ-NP-Z"
_C = "A-HJ-NP-Z0-9"
_P = f"[{PROVINCES}]"
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Ordinary plate: 吉F·12345, last character may be a special suffix (coach, trailer, police...).
    ("ordinary", re.compile(f"^{_P}[{_L}][{_C}]{{5}}$")),
    ("special", re.compile(f"^{_P}[{_L}][{_C}]{{4}}[挂学警领港澳]$")),
    # New-energy plates, 8 characters: small vehicles put D (electric) or F (hybrid) first,
    # large vehicles put it last.
    ("new_energy_small", re.compile(f"^{_P}[{_L}][DF][{_C}][0-9]{{4}}$")),
    ("new_energy_large", re.compile(f"^{_P}[{_L}][0-9]{{5}}[DF]$")),
    # Embassy plates: 使 and six digits.
    ("embassy", re.compile("^使[0-9]{6}$")),
)
_SEPARATORS = re.compile(r"[\s·•.\-]")


def normalise_plate(text: str) -> str:
    """Upper case, no spaces or dots: ``吉f·12345`` → ``吉F12345``."""
    return _SEPARATORS.sub("", text or "").upper()


def plate_kind(text: str) -> str | None:
    plate = normalise_plate(text)
    for name, pattern in PATTERNS:
        if pattern.match(plate):
            return name
    return None


def validate_plate(text: str) -> str:
    """The normalised plate, or a ValidationError that says what is wrong in plain Chinese."""
    plate = normalise_plate(text)
    if not plate:
        raise ValidationError(_("Enter the number plate."), code="required")
    if plate_kind(plate):
        return plate
    if plate[0] not in PROVINCES and not plate.startswith("使"):
        raise ValidationError(
            _("A number plate starts with a province abbreviation such as 吉 or 京: %(plate)s"),
            code="province", params={"plate": plate},
        )
    if len(plate) not in (7, 8):
        raise ValidationError(
            _("A number plate has 7 characters (8 for new-energy vehicles): %(plate)s has %(n)d."),
            code="length", params={"plate": plate, "n": len(plate)},
        )
    if len(plate) == 8:
        raise ValidationError(
            _("A new-energy plate has D or F right after the city letter (small vehicles) or at the end "
              "(large vehicles): %(plate)s"),
            code="new_energy", params={"plate": plate},
        )
    raise ValidationError(
        _("Not a valid number plate (the letters I and O are never used): %(plate)s"),
        code="invalid", params={"plate": plate},
    )
