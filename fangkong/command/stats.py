"""The ``command`` block of ``fangkong stats``."""

import datetime as dt

from .registry import lines


def command_block(as_of: dt.date) -> dict[str, int]:
    return {"lines_enabled": sum(1 for line in lines() if line.enabled)}
