"""Reading returnee ledger files (输入人员台账): file type by content, parsing in a limited child
process, header matching, cell normalisation. Pure: no models, no database.

The names below are loaded on first use, so that the parsing child process
(`python -m fangkong.returnees.ledger.worker`) starts without importing Django or XlsxWriter.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .columns import FIELDS, REQUIRED, SIDES, Field
    from .reader import CellError, LedgerBatch, LedgerStream, ParsedLedger, open_ledger, read_ledger
    from .sniff import LedgerFileError, Limits
    from .template import build_template

_MODULES = {
    "FIELDS": "columns",
    "REQUIRED": "columns",
    "SIDES": "columns",
    "Field": "columns",
    "CellError": "reader",
    "LedgerBatch": "reader",
    "LedgerStream": "reader",
    "ParsedLedger": "reader",
    "open_ledger": "reader",
    "read_ledger": "reader",
    "LedgerFileError": "sniff",
    "Limits": "sniff",
    "build_template": "template",
}
__all__ = [
    "FIELDS",
    "REQUIRED",
    "SIDES",
    "CellError",
    "Field",
    "LedgerBatch",
    "LedgerFileError",
    "LedgerStream",
    "Limits",
    "ParsedLedger",
    "build_template",
    "open_ledger",
    "read_ledger",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_MODULES[name]}", __name__), name)
    globals()[name] = value
    return value
