"""Hostile ledger files, written by hand with zipfile so that the workbook can lie about itself.

Used by tests/returnees/test_hostile_ledger.py (small files) and bench/hostile_ledger.py (the size
of the finding: about two million rows).
"""

import datetime as dt
import random
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
HEADERS = ("姓名", "身份证号", "返回日期")
VALID_ID = "110101199003077571"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BITS_AS_TEXT = str.maketrans("01", "长短")


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def _row(r: int, values: tuple[str, ...]) -> str:
    return f'<row r="{r}">' + "".join(_cell(f"{LETTERS[i]}{r}", v) for i, v in enumerate(values)) + "</row>"


def valid_id(r: int) -> str:
    """A valid ID number of its own for each r (up to 20 million)."""
    from fangkong.core.idcard import check_digit

    first17 = f"110101{dt.date(1950, 1, 1) + dt.timedelta(days=r // 1000):%Y%m%d}{r % 1000:03d}"
    return first17 + check_digit(first17)


def row_values(kind: str, r: int, *, cell_chars: int = 32_000) -> tuple[str, ...]:
    """The cells of data row r: "invalid" has two problems per row (an ID number of 10 digits, a
    date that does not exist), "duplicate" is a valid row repeated (every copy after the first is a
    duplicate ID number), "oversized" has a name of ``cell_chars`` characters (its one problem)."""
    if kind == "invalid":
        return ("张三", f"{r:010d}", "2020-13-45")
    if kind == "duplicate":
        return ("张三", VALID_ID, "2020-02-10")
    if kind == "oversized":
        # Two characters in an order drawn per row: too long for any column, and compressible
        # enough (about 20:1) for a small upload, never so much that it looks like a zip bomb.
        bits = format(random.Random(r).getrandbits(cell_chars), f"0{cell_chars}b")
        filler = bits.translate(BITS_AS_TEXT)
        return (filler, valid_id(r), "2020-02-10")
    raise ValueError(kind)


def write_hostile_xlsx(path: Path, rows: int, *, kind: str = "invalid", dimension: str = "A1:C2",
                       cell_chars: int = 32_000, headers: tuple[str, ...] = HEADERS,
                       row: Callable[[int], tuple[str, ...]] | None = None) -> Path:
    """An xlsx whose one sheet holds ``headers`` and ``rows`` data rows of ``kind`` (see row_values;
    or ``row(r)`` for sheet row r), while its <dimension> claims ``dimension``. The sheet XML is
    streamed into the zip, so a file of hundreds of megabytes of XML is written in constant memory."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    f'<dimension ref="{dimension}"/><sheetData>' + _row(1, headers)
                ).encode()
            )
            chunk: list[str] = []
            for r in range(2, rows + 2):
                chunk.append(_row(r, row(r) if row else row_values(kind, r, cell_chars=cell_chars)))
                if len(chunk) >= 10_000:
                    fh.write("".join(chunk).encode())
                    chunk = []
            fh.write(("".join(chunk) + "</sheetData></worksheet>").encode())
    return path


def sheet_xml_bytes(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return zf.getinfo("xl/worksheets/sheet1.xml").file_size
