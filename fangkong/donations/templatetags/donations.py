from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def qty(value: Any) -> str:
    """A quantity as people write it (7000, 12.5), whatever its stored decimal places."""
    from fangkong.donations.services import fmt

    if value is None or value == "":
        return "0"
    return fmt(value if isinstance(value, Decimal) else Decimal(str(value)))
