"""Cleaning of free text typed or pasted by users."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Bidirectional overrides/isolates can make a name display differently from how it is stored.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def clean_text(value: str, *, max_length: int, multiline: bool = False) -> str:
    """Strip, refuse control and direction-override characters, and enforce a length."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if _BIDI.search(text):
        raise ValidationError(_("Text direction control characters are not allowed."), code="bidi")
    for ch in text:
        if unicodedata.category(ch) == "Cc" and not (multiline and ch in "\n\r\t"):
            raise ValidationError(_("Control characters are not allowed."), code="control")
    if len(text) > max_length:
        raise ValidationError(
            _("At most %(max)d characters are allowed (this has %(len)d).") % {"max": max_length, "len": len(text)},
            code="length",
        )
    return text
