"""Excel export: a streaming xlsx writer (constant memory) with formula injection neutralised."""

import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter

# A cell starting with one of these is a formula to Excel/WPS; prefix it with a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralize(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1") -> tuple[bytes, int]:
    """Write rows to an xlsx file and return its bytes and the number of data rows."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        book = xlsxwriter.Workbook(
            tmp.name, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        ws = book.add_worksheet(sheet[:31])
        bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
        for col, header in enumerate(headers):
            ws.write_string(0, col, str(header), bold)
            ws.set_column(col, col, max(10, len(str(header)) * 2 + 2))
        count = 0
        for count, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                value = neutralize(value)
                if value is None:
                    continue
                if isinstance(value, bool):
                    ws.write_boolean(count, col, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(count, col, value)
                else:
                    ws.write_string(count, col, str(value))
        ws.freeze_panes(1, 0)
        book.close()
        tmp.seek(0)
        return tmp.read(), count
