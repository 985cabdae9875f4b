"""Reading ledger files: real type by content, hostile files contained, headers matched, cells normalised.

Every file is made here: XlsxWriter for xlsx, zipfile for ods, a hand-made OLE2 compound file with a
BIFF8 workbook stream for xls (and with EncryptionInfo streams for an encrypted xlsx).
"""

import codecs
import datetime as dt
import io
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from fangkong.core.idcard import check_digit
from fangkong.returnees.ledger import LedgerFileError, Limits, build_template, read_ledger
from fangkong.returnees.ledger import values as v
from fangkong.returnees.ledger.columns import normalize_header

MB = 1024 * 1024
VALID = "11010519491231002X"  # the standard's own example
HEADERS = ["姓名", "身份证号", "联系电话", "工作单位", "居住社区", "返回日期", "人员类别", "调度线"]


def make_id(first17: str) -> str:
    return first17 + check_digit(first17)


ID_2 = make_id("22060219850314001")
ID_3 = make_id("22060219900101002")


def good_row(name: str = "张三", number: str = VALID, day: int = 10) -> list[Any]:
    return [name, number, "13912345678", "市民政局", "东兴社区", dt.date(2020, 2, day), "外地返回", "机关"]


class Formula:
    def __init__(self, formula: str, value: Any) -> None:
        self.formula, self.value = formula, value


def write_xlsx(path: Path, rows: list[list[Any]], setup: Any = None) -> Path:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet()
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, Formula):
                sheet.write_formula(r, c, value.formula, None, value.value)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, date)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    if setup:
        setup(book, sheet)
    book.close()
    return path


def xlsx(tmp_path: Path, rows: list[list[Any]], setup: Any = None, name: str = "ledger.xlsx") -> Path:
    return write_xlsx(tmp_path / name, rows, setup)


def ods_bytes(rows: list[list[Any]]) -> bytes:
    def cell(value: Any) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, dt.date):
            return (
                f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        if isinstance(value, (int, float)):
            return (
                f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(map(cell, row)) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="台账">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        # The OpenDocument rule: "mimetype" first and stored, so its bytes sit at a fixed offset.
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


END, FREE, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def cfb_bytes(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file ([MS-CFB] version 3): one FAT sector, no mini stream.

    Streams are padded to 4096 bytes so that they live in ordinary sectors.
    """
    names = list(streams)
    blobs = [streams[n].ljust(4096, b"\0") for n in names]
    blobs = [b + b"\0" * (-len(b) % 512) for b in blobs]
    dir_sectors = -(-(1 + len(names)) // 4)
    fat, sector = [FAT_SECTOR], 1
    for i in range(dir_sectors):
        fat.append(sector + 1 if i < dir_sectors - 1 else END)
        sector += 1
    starts = []
    for blob in blobs:
        starts.append(sector)
        count = len(blob) // 512
        for i in range(count):
            fat.append(sector + 1 if i < count - 1 else END)
            sector += 1
    assert len(fat) <= 128
    fat += [FREE] * (128 - len(fat))

    def entry(
        name: str, kind: int, start: int, size: int, child: int = NO_STREAM, right: int = NO_STREAM
    ) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        fixed = struct.pack("<HBBIII", len(raw), kind, 1, NO_STREAM, right, child)
        return raw.ljust(64, b"\0") + fixed + b"\0" * 36 + struct.pack("<IQ", start, size)

    directory = entry("Root Entry", 5, END, 0, child=1 if names else NO_STREAM)
    for i, (name, blob, start) in enumerate(zip(names, blobs, starts, strict=True), start=1):
        directory += entry(name, 2, start, len(blob), right=i + 1 if i < len(names) else NO_STREAM)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<109I", 0, *([FREE] * 108))
    )
    return header + struct.pack("<128I", *fat) + directory.ljust(dir_sectors * 512, b"\0") + b"".join(blobs)


def biff8_workbook(rows: list[list[Any]], *, password: bool = False) -> bytes:
    """A BIFF8 workbook stream: globals (two XFs: General and a date format), one sheet of cells."""

    def rec(kind: int, data: bytes) -> bytes:
        return struct.pack("<HH", kind, len(data)) + data

    def bof(kind: int) -> bytes:
        return rec(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))

    def xf(ifmt: int) -> bytes:
        return rec(0x00E0, struct.pack("<HH", 0, ifmt) + b"\0" * 16)

    name = "台账"
    head = bof(0x0005) + rec(0x0042, struct.pack("<H", 1200)) + xf(0) + xf(14)
    if password:
        head += rec(0x002F, struct.pack("<H", 1) + b"\0" * 52)  # FILEPASS: RC4 encryption
    sheet_at = len(head) + 4 + 8 + 2 * len(name) + 4
    head += rec(0x0085, struct.pack("<IBBBB", sheet_at, 0, 0, len(name), 1) + name.encode("utf-16-le"))
    head += rec(0x000A, b"")
    cells = b""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                serial = (value - dt.date(1899, 12, 30)).days
                cells += rec(0x0203, struct.pack("<HHHd", r, c, 1, serial))
            elif isinstance(value, (int, float)):
                cells += rec(0x0203, struct.pack("<HHHd", r, c, 0, value))
            else:
                cells += rec(
                    0x0204, struct.pack("<HHHHB", r, c, 0, len(value), 1) + value.encode("utf-16-le")
                )
    return head + bof(0x0010) + cells + rec(0x000A, b"")


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    return "".join(delimiter.join(row) + "\r\n" for row in rows).encode(encoding)


def file_error(path: Path, **kwargs: Any) -> str:
    with pytest.raises(LedgerFileError) as exc:
        read_ledger(path, side=kwargs.pop("side", "unit"), **kwargs)
    assert str(exc.value) == exc.value.message
    return exc.value.message


def errors_by_cell(parsed: Any) -> dict[tuple[int, str], str]:
    return {(e.row, e.column): e.reason for e in parsed.errors}


# --- formats ---------------------------------------------------------------------------------------


def test_it_reads_an_xlsx_with_reordered_columns_synonyms_and_spaced_headers(tmp_path):
    path = xlsx(
        tmp_path,
        [
            [
                "序号",
                " 公民身份号码 ",
                "姓 名",
                "手机号码：",
                "返程日期*",
                "所在\n社区",
                "类别",
                "条线",
                "单位名称",
            ],
            [
                1,
                VALID,
                "张三",
                "139 1234 5678",
                dt.date(2020, 2, 10),
                "东兴社区",
                "同住亲属",
                "行业条线",
                "市民政局",
            ],
            [2, ID_2, "欧阳·娜娜", "+86-13812345678", "2020.2.11", "西城社区", "", "", ""],
        ],
    )
    parsed = read_ledger(path, side="community")

    assert parsed.errors == []
    assert parsed.file_type == "xlsx"
    assert len(parsed.sha256) == 64
    assert parsed.columns["id_number"] == "公民身份号码"
    assert parsed.columns["community"] == "所在 社区"
    assert "address" not in parsed.columns
    first, second = parsed.rows
    assert first == {
        "row": 2,
        "name": "张三",
        "id_number": VALID,
        "phone": "13912345678",
        "employer": "市民政局",
        "community": "东兴社区",
        "address": "",
        "category": "relative",
        "origin": "",
        "transport": "",
        "return_date": dt.date(2020, 2, 10),
        "line": "industry",
        "notes": "",
    }
    assert (second["row"], second["name"], second["phone"]) == (3, "欧阳·娜娜", "13812345678")
    assert (second["category"], second["line"], second["return_date"]) == (
        "outside",
        "",
        dt.date(2020, 2, 11),
    )


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gb18030", b""), ("utf-16-le", codecs.BOM_UTF16_LE)],
)
def test_it_reads_csv_in_utf8_with_or_without_bom_gb18030_and_utf16(tmp_path, encoding, prefix):
    rows = [HEADERS, ["张三", VALID, "13912345678", "市民政局", "东兴社区", "2020-02-10", "外地返回", "机关"]]
    path = tmp_path / "ledger.csv"
    path.write_bytes(prefix + csv_bytes(rows, encoding))
    parsed = read_ledger(path, side="community")
    assert parsed.file_type == "csv"
    assert parsed.errors == []
    assert parsed.rows[0]["name"] == "张三"
    assert parsed.rows[0]["return_date"] == dt.date(2020, 2, 10)


def test_it_reads_tab_separated_text_and_short_csv_rows(tmp_path):
    path = tmp_path / "ledger.txt"
    path.write_bytes(csv_bytes([HEADERS, ["张三", VALID, "", "", "", "2月10日"]], "gb18030", "\t"))
    parsed = read_ledger(path, side="unit")
    assert parsed.errors == []
    assert parsed.rows[0]["return_date"] == dt.date(2020, 2, 10)
    assert parsed.rows[0]["category"] == "outside"


def test_it_reads_ods(tmp_path):
    path = tmp_path / "ledger.ods"
    path.write_bytes(
        ods_bytes([HEADERS, good_row(), ["李四", ID_2, 13812345678, None, "西城社区", dt.date(2020, 2, 9)]])
    )
    parsed = read_ledger(path, side="community")
    assert parsed.file_type == "ods"
    assert parsed.errors == []
    assert [r["name"] for r in parsed.rows] == ["张三", "李四"]
    assert parsed.rows[1]["phone"] == "13812345678"
    assert parsed.rows[1]["return_date"] == dt.date(2020, 2, 9)


def test_it_reads_xls(tmp_path):
    path = tmp_path / "ledger.xls"
    rows = [HEADERS, good_row(), ["李四", ID_2, 13812345678, "市教育局", "西城社区", dt.date(2020, 2, 9)]]
    path.write_bytes(cfb_bytes({"Workbook": biff8_workbook(rows)}))
    parsed = read_ledger(path, side="community")
    assert parsed.file_type == "xls"
    assert parsed.errors == []
    assert parsed.rows[1]["phone"] == "13812345678"
    assert parsed.rows[1]["return_date"] == dt.date(2020, 2, 9)


def test_it_decides_the_type_by_content_not_by_extension(tmp_path):
    csv_path = tmp_path / "really-a-csv.xlsx"
    csv_path.write_bytes(csv_bytes([HEADERS, ["张三", VALID, "", "", "", "2020/2/10"]]))
    assert read_ledger(csv_path, side="unit").file_type == "csv"
    xlsx_path = xlsx(tmp_path, [HEADERS, good_row()], name="really-an-xlsx.csv")
    assert read_ledger(xlsx_path, side="unit").file_type == "xlsx"


def test_it_reads_the_first_visible_sheet(tmp_path):
    def setup(book, sheet):
        sheet.hide()
        visible = book.add_worksheet("台账")
        visible.write_row(0, 0, HEADERS)
        visible.write_row(1, 0, ["李四", ID_2, "", "", "", "2020-02-09"])
        visible.activate()

    parsed = read_ledger(xlsx(tmp_path, [["隐藏的表"], ["x"]], setup), side="unit")
    assert [r["name"] for r in parsed.rows] == ["李四"]


def test_hidden_rows_are_read_like_visible_ones(tmp_path):
    """calamine cannot see row visibility: a hidden row is imported (and validated) like any other."""

    def setup(book, sheet):
        sheet.set_row(2, None, None, {"hidden": True})

    parsed = read_ledger(xlsx(tmp_path, [HEADERS, good_row(), good_row("李四", ID_2)], setup), side="unit")
    assert [r["row"] for r in parsed.rows] == [2, 3]


# --- unusable files --------------------------------------------------------------------------------


def test_it_refuses_an_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert "文件是空的" in file_error(path)


def test_it_refuses_a_corrupt_zip(tmp_path):
    good = xlsx(tmp_path, [HEADERS, good_row()]).read_bytes()
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(good[: len(good) // 2])
    assert "文件已损坏" in file_error(path)
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    assert "文件已损坏" in file_error(path)


def test_it_refuses_a_file_over_the_size_limit(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes([HEADERS]) * 100)
    assert "文件太大" in file_error(path, limits=Limits(max_bytes=1000))


def test_limits_are_read_from_django_settings(tmp_path, settings):
    settings.FANGKONG_IMPORT_MAX_BYTES = 10
    assert Limits.from_settings().max_bytes == 10
    assert Limits.from_settings().max_zip_entries == Limits().max_zip_entries
    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_bytes([HEADERS]))
    assert "文件太大" in file_error(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"%PDF-1.7\n...", "PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "PNG"),
        (bytes(range(256)) * 20, "二进制"),
        (b"\x80\x81\xfe" * 500, "无法识别的文字编码"),
        (b"<html><body><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr></table></body></html>", "HTML"),
        (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>', "2003"),
    ],
)
def test_it_refuses_files_that_are_not_spreadsheets(tmp_path, content, expected):
    path = tmp_path / "ledger.xls"
    path.write_bytes(content)
    assert expected in file_error(path)


@pytest.mark.parametrize(
    ("entries", "expected"),
    [({"word/document.xml": "<w/>", "[Content_Types].xml": "<x/>"}, "Word"), ({"a.txt": "hello"}, "zip")],
)
def test_it_refuses_zips_that_are_not_workbooks(tmp_path, entries, expected):
    path = tmp_path / "ledger.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    assert expected in file_error(path)


def test_it_refuses_an_encrypted_xlsx(tmp_path):
    # Excel saves a password-protected xlsx as an OLE2 file holding EncryptionInfo and EncryptedPackage.
    path = tmp_path / "locked.xlsx"
    path.write_bytes(
        cfb_bytes({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\0" * 60, "EncryptedPackage": b"\x07" * 64})
    )
    assert "文件已加密" in file_error(path)


def test_it_refuses_an_rc4_encrypted_xls(tmp_path):
    path = tmp_path / "locked.xls"
    path.write_bytes(cfb_bytes({"Workbook": biff8_workbook([HEADERS, good_row()], password=True)}))
    assert "文件已加密" in file_error(path)


def test_it_refuses_an_ole2_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "letter.xls"
    path.write_bytes(cfb_bytes({"WordDocument": b"\0" * 100}))
    assert "Word" in file_error(path)


def _xlsx_with_extra_entry(tmp_path: Path, name: str, data: bytes) -> Path:
    path = xlsx(tmp_path, [HEADERS, good_row()])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return path


def test_it_refuses_a_zip_bomb_by_its_compression_ratio(tmp_path):
    path = _xlsx_with_extra_entry(tmp_path, "xl/media/zeros.bin", b"\0" * (8 * MB))
    message = file_error(path)
    assert "压缩炸弹" in message
    assert "压缩比" in message


def test_it_refuses_a_zip_declaring_600_mb_before_inflating_anything(tmp_path):
    path = _xlsx_with_extra_entry(tmp_path, "xl/worksheets/sheet2.xml", b"<x/>" * 100)
    data = bytearray(path.read_bytes())
    # Patch the declared uncompressed size of the last entry in the central directory to 600 MB.
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 600 * MB)
    path.write_bytes(bytes(data))
    message = file_error(path)
    assert "压缩炸弹" in message
    assert "600.0 MB" in message or "压缩比" in message


def test_it_refuses_a_zip_with_too_many_entries_or_too_much_data(tmp_path):
    path = xlsx(tmp_path, [HEADERS, good_row()])
    assert "个文件" in file_error(path, limits=Limits(max_zip_entries=5))
    assert "解压后共" in file_error(path, limits=Limits(max_uncompressed_bytes=1000))


def test_a_billion_laughs_shared_strings_file_is_refused_without_expanding(tmp_path):
    entities = '<!ENTITY lol "lollollollollollollollollollol">'
    for i in range(1, 10):
        entities += f'<!ENTITY lol{i} "' + f"&lol{i - 1 if i > 1 else ''};" * 10 + '">'
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        "<si><t>&lol9;</t></si></sst>"
    )
    source = xlsx(tmp_path, [HEADERS, good_row()], name="source.xlsx")
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = bomb.encode() if info.filename == "xl/sharedStrings.xml" else zin.read(info)
            zout.writestr(info.filename, data)
    assert "XML" in file_error(path)


def test_a_cell_at_xfd1048576_is_refused_with_a_clear_message(tmp_path):
    path = xlsx(tmp_path, [HEADERS, good_row()], lambda book, sheet: sheet.write_string(1048575, 16383, "x"))
    message = file_error(path)
    assert "A1:XFD1048576" in message
    assert "使用范围过大" in message


def test_a_far_away_cell_without_a_header_is_ignored(tmp_path):
    path = xlsx(
        tmp_path, [HEADERS, good_row()], lambda book, sheet: sheet.write_string(5, 16383, "远处的单元格")
    )
    parsed = read_ledger(path, side="unit")
    assert parsed.errors == []
    assert [r["row"] for r in parsed.rows] == [2]  # row 6 has nothing under a header: an empty row


def test_a_parser_killed_by_the_memory_limit_gives_a_clear_error(tmp_path):
    rows = [HEADERS] + [
        good_row(f"人员{chr(0x4E00 + i % 500)}", make_id(f"220602198501{i % 28 + 1:02d}{i % 1000:03d}"))
        for i in range(3000)
    ]
    path = xlsx(tmp_path, rows)
    assert file_error(path, limits=Limits(memory_bytes=1 * MB)).startswith("文件过大或过于复杂，无法解析")


def test_a_parser_that_runs_too_long_is_stopped_with_a_clear_error(tmp_path):
    path = xlsx(tmp_path, [HEADERS, good_row()])
    assert file_error(path, limits=Limits(timeout_seconds=0.01)).startswith("文件过大或过于复杂，无法解析")


# --- headers -------------------------------------------------------------------------------------


def test_it_finds_a_header_under_a_title_with_merged_cells(tmp_path):
    def setup(book, sheet):
        sheet.merge_range(0, 0, 0, 6, "白岭市输入人员台账（截止2月10日）")
        sheet.merge_range(1, 0, 2, 0, "姓名")  # merged down over two header rows
        sheet.merge_range(1, 1, 2, 1, "身份证号")
        sheet.merge_range(1, 2, 1, 3, "联系方式")  # a group label over two real headers
        sheet.write_row(2, 2, ["联系电话", "居住地址"])
        sheet.merge_range(1, 4, 1, 5, "返回日期")  # merged across: the second column has no header
        sheet.write_string(1, 6, "居住社区")

    rows = [
        [],
        [],
        [],
        ["张三", VALID, "13912345678", "幸福路1号", dt.date(2020, 2, 10), "（空）", "东兴社区"],
    ]
    path = xlsx(tmp_path, rows, setup)
    # The column merged under 返回日期 holds data under no header of its own: it is listed, and
    # the reader refuses until it is mapped or skipped.
    assert "第F列“（无表头）”" in file_error(path, side="community")
    parsed = read_ledger(path, side="community", mapping={"#F": ""})
    assert parsed.errors == []
    assert parsed.columns["phone"] == "联系方式"  # the group label is itself a phone header
    assert parsed.columns["address"] == "居住地址"
    assert len(parsed.rows) == 1
    assert parsed.rows[0]["row"] == 4
    assert parsed.rows[0]["address"] == "幸福路1号"
    assert parsed.rows[0]["return_date"] == dt.date(2020, 2, 10)


def test_duplicate_columns_are_a_file_error_naming_both(tmp_path):
    path = xlsx(
        tmp_path, [["姓名", "身份证号", "返回日期", "身份证号码"], ["张三", VALID, "2020-02-10", VALID]]
    )
    message = file_error(path)
    assert "表头重复" in message
    assert "第B列“身份证号”" in message
    assert "第D列“身份证号码”" in message


def test_a_missing_required_column_is_a_file_error_naming_it(tmp_path):
    path = xlsx(tmp_path, [["姓名", "身份证号", "返回日期"], ["张三", VALID, "2020-02-10"]])
    assert read_ledger(path, side="unit").errors == []  # the unit side does not need the community
    message = file_error(path, side="community")
    assert "缺少必填列" in message
    assert "居住社区" in message


def test_a_file_without_a_header_is_a_file_error(tmp_path):
    path = xlsx(tmp_path, [["a", "b"], ["c", "d"]])
    assert "找不到表头" in file_error(path)


@pytest.mark.parametrize(
    "raw",
    [
        "身份证号",
        " 身份证号 ",
        "身份证号：",
        "身份证号:",
        "身份证号*",
        "*身份证号",
        "身份证\n号码",
        "身份证号（18位）",
    ],
)
def test_headers_are_compared_without_spaces_marks_colons_or_hints(raw):
    assert normalize_header(raw) in ("身份证号", "身份证号码")
    assert normalize_header("ＩＤ") == "id"


# --- cells ----------------------------------------------------------------------------------------


def test_every_bad_cell_is_listed_with_row_column_value_and_reason_and_the_row_is_kept(tmp_path):
    path = xlsx(
        tmp_path,
        [
            HEADERS,
            ["张三", "110105194912310021", "13912345678", "", "", "2020-02-10"],  # wrong check digit
            ["李四", 110101199003077000.0, "", "", "", "2020-02-10"],  # ID typed into a number cell
            ["王五", "1.10101E+17", "", "", "", "2020-02-10"],  # ID pasted as Excel showed it
            ["赵六", "110101199003077000", "", "", "", "2020-02-10"],  # the digits Excel kept
            ["钱七", ID_2, "1391234567", "", "", "2020-02-30"],  # short phone, impossible date
            ["孙八", ID_3, "", "", "", "", "外星人", "街道"],  # no date, unknown category and line
        ],
    )
    parsed = read_ledger(path, side="unit")
    cells = errors_by_cell(parsed)
    assert cells == {
        (2, "身份证号"): "身份证号校验位不正确，请逐位核对",
        (3, "身份证号"): v.EXCEL_NUMBER,
        (4, "身份证号"): v.EXCEL_NUMBER,
        (5, "身份证号"): v.EXCEL_NUMBER,
        (6, "联系电话"): v.PHONE_REASON,
        (6, "返回日期"): v.DATE_IMPOSSIBLE,
        (7, "返回日期"): "“返回日期”不能为空",
        (7, "人员类别"): v.CATEGORY_REASON,
        (7, "调度线"): v.LINE_REASON,
    }
    assert v.EXCEL_NUMBER == "身份证号被Excel转成了数字，请将该列设置为文本格式后重新填写"
    number_error = next(e for e in parsed.errors if e.row == 3)
    assert number_error.value == "110101199003077000"
    assert [e.row for e in parsed.errors] == sorted(e.row for e in parsed.errors)
    assert [r["row"] for r in parsed.rows] == [2, 3, 4, 5, 6, 7]
    assert parsed.rows[0]["id_number"] is None
    assert parsed.rows[4]["return_date"] is None


def test_id_numbers_are_normalised(tmp_path):
    rows = [
        ["张三", "11010519491231002x"],  # lowercase x
        ["李四", "２２０６０２１９８５０３１４００１" + ID_2[-1]],  # full-width digits
        ["王五", ID_3[:6] + "\u200b" + ID_3[6:]],  # zero-width space
        ["赵六", make_id("31010119800101003")[:6] + "\u00a0" + make_id("31010119800101003")[6:]],  # NBSP
        ["钱七", "310101800101004"],  # 15-digit legacy number
    ]
    path = xlsx(tmp_path, [["姓名", "身份证号", "返回日期"]] + [[*r, "2020-02-10"] for r in rows])
    parsed = read_ledger(path, side="unit")
    assert parsed.errors == []
    assert [r["id_number"] for r in parsed.rows] == [
        VALID,
        ID_2,
        ID_3,
        make_id("31010119800101003"),
        make_id("31010119800101004"),
    ]


def test_dates_in_every_common_shape(tmp_path):
    rows = [
        ["甲", make_id("11010119900101001"), 43871.0],  # a serial that lost its date format
        ["乙", make_id("11010119900101002"), "2020.2.10"],
        ["丙", make_id("11010119900101003"), "2020/2/10"],
        ["丁", make_id("11010119900101004"), "2月10日"],
        ["戊", make_id("11010119900101005"), "2020年2月10日"],
        ["己", make_id("11010119900101006"), dt.date(2020, 2, 10)],
        ["庚", make_id("11010119900101007"), "2020-02-10 00:00:00"],
        ["辛", make_id("11010119900101008"), "２０２０－０２－１０"],
    ]
    path = xlsx(tmp_path, [["姓名", "身份证号", "返回日期"], *rows])
    parsed = read_ledger(path, side="unit")
    assert parsed.errors == []
    assert {r["return_date"] for r in parsed.rows} == {dt.date(2020, 2, 10)}
    other_year = read_ledger(path, side="unit", default_year=2021)
    assert other_year.rows[3]["return_date"] == dt.date(2021, 2, 10)


def test_phones_with_spaces_country_code_and_excel_decimals(tmp_path):
    phones = ["139 1234 5678", "+86-139-1234-5678", "13912345678.0", 13912345678.0, "(+86)13912345678"]
    rows = [
        [f"人{chr(0x4E00 + i)}", make_id(f"1101011990010100{i}"), "2020-02-10", p]
        for i, p in enumerate(phones)
    ]
    parsed = read_ledger(xlsx(tmp_path, [["姓名", "身份证号", "返回日期", "手机"], *rows]), side="unit")
    assert parsed.errors == []
    assert {r["phone"] for r in parsed.rows} == {"13912345678"}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("张" * 10_000, "最多60个字符（现有10000个）"),
        ("张三😀", "姓名只能包含汉字、字母、间隔号（·）和空格，不能含有“😀”"),
        ("张\u202e三", "含有文字方向控制字符（可能使内容显示与实际不符），请删除后重新填写"),
        ("张\x07三", "含有不可见的控制字符，请删除后重新填写"),
        ("张三3", "姓名只能包含汉字、字母、间隔号（·）和空格，不能含有“3”"),
    ],
)
def test_hostile_names_are_refused_with_a_reason(tmp_path, name, reason):
    parsed = read_ledger(
        xlsx(tmp_path, [["姓名", "身份证号", "返回日期"], [name, VALID, "2020-02-10"]]), side="unit"
    )
    (error,) = parsed.errors
    assert (error.row, error.column, error.reason) == (2, "姓名", reason)
    assert error.value == name[:100]
    assert parsed.rows[0]["name"] is None


@pytest.mark.parametrize("name", ["张三", "欧阳·娜娜", "Zhang San", "买买提·艾力", "Ｍａｒｙ"])
def test_ordinary_names_pass(name):
    assert v.normalizers(2020)["name"]([name]) == ([name], [None])


def test_text_fields_keep_formula_looking_text_and_join_line_breaks(tmp_path):
    path = xlsx(
        tmp_path,
        [
            ["姓名", "身份证号", "返回日期", "居住地址", "备注", "交通方式"],
            ["张三", VALID, "2020-02-10", "幸福路\n1号", '=HYPERLINK("http://x")\n第二行', "@SUM(A1)"],
        ],
    )
    parsed = read_ledger(path, side="unit")
    assert parsed.errors == []
    row = parsed.rows[0]
    assert row["address"] == "幸福路 1号"
    assert row["notes"] == '=HYPERLINK("http://x")\n第二行'
    assert row["transport"] == "@SUM(A1)"


def test_text_over_its_length_limit_is_refused(tmp_path):
    path = xlsx(
        tmp_path, [["姓名", "身份证号", "返回日期", "交通方式"], ["张三", VALID, "2020-02-10", "火" * 41]]
    )
    assert errors_by_cell(read_ledger(path, side="unit")) == {(2, "交通方式"): "最多40个字符（现有41个）"}


def test_formula_cells_are_read_as_their_cached_results(tmp_path):
    path = xlsx(
        tmp_path,
        [
            ["姓名", "身份证号", "返回日期", "联系电话", "备注"],
            [
                Formula('="张"&"三"', "张三"),
                VALID,
                Formula("=DATE(2020,2,10)", 43871),
                Formula("=13912345678", 13912345678),
                Formula("=1+1", 2),
            ],
        ],
    )
    parsed = read_ledger(path, side="unit")
    assert parsed.errors == []
    row = parsed.rows[0]
    assert (row["name"], row["return_date"], row["phone"], row["notes"]) == (
        "张三",
        dt.date(2020, 2, 10),
        "13912345678",
        "2",
    )


def test_categories_and_lines(tmp_path):
    categories = ["外地返回", "区外返回", "同住密切接触者", "同住亲属", "发热症状", "其他", " 发 热 ", ""]
    rows = [
        [
            f"人{chr(0x4E00 + i)}",
            make_id(f"1101011990010100{i}"),
            "2020-02-10",
            c,
            ["机关", "机关条线", "行业", ""][i % 4],
        ]
        for i, c in enumerate(categories)
    ]
    parsed = read_ledger(
        xlsx(tmp_path, [["姓名", "身份证号", "返回日期", "人员类别", "调度线"], *rows]), side="unit"
    )
    assert parsed.errors == []
    assert [r["category"] for r in parsed.rows] == [
        "outside",
        "outside",
        "relative",
        "relative",
        "fever",
        "other",
        "fever",
        "outside",
    ]
    assert [r["line"] for r in parsed.rows][:4] == ["organs", "organs", "industry", ""]


def test_duplicate_rows_name_the_first_occurrence(tmp_path):
    path = xlsx(
        tmp_path, [HEADERS, good_row(), good_row("李四", ID_2), good_row("张三", "11010519491231002x")]
    )
    parsed = read_ledger(path, side="unit")
    (error,) = parsed.errors
    assert (error.row, error.column, error.value) == (4, "身份证号", VALID)
    assert "与第2行的身份证号重复" in error.reason
    assert len(parsed.rows) == 3


def test_empty_rows_are_skipped_and_empty_required_cells_reported(tmp_path):
    path = xlsx(
        tmp_path, [HEADERS, good_row(), [], ["  ", "", "\u3000"], ["", ID_2, "", "", "", "2020-02-10"]]
    )
    parsed = read_ledger(path, side="community")
    assert [r["row"] for r in parsed.rows] == [2, 5]
    assert errors_by_cell(parsed) == {(5, "姓名"): "“姓名”不能为空", (5, "居住社区"): "“居住社区”不能为空"}


def test_boolean_cells_do_not_collide_with_numbers(tmp_path):
    def setup(book, sheet):
        sheet.write_boolean(1, 3, True)

    path = xlsx(
        tmp_path,
        [
            ["姓名", "身份证号", "返回日期", "备注"],
            ["张三", VALID, "2020-02-10", None],
            ["李四", ID_2, "2020-02-10", 1.0],
        ],
        setup,
    )
    parsed = read_ledger(path, side="unit")
    assert [r["notes"] for r in parsed.rows] == ["TRUE", "1"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (VALID, (VALID, None)),
        ("110105491231002", (VALID, None)),
        (110105491231002.0, (VALID, None)),  # a 15-digit number survives a number cell intact
        (1.10101199003077e17, (None, v.EXCEL_NUMBER)),
        ("110101199003077000.0", (None, v.EXCEL_NUMBER)),
        ("1.10101E+17", (None, v.EXCEL_NUMBER)),
        ("11010519491231002", (None, "身份证号应为18位：17位数字加最后一位数字或X（现为17位）")),
        ("110105194913310021", (None, "身份证号中的出生日期不存在，请核对")),
        (dt.date(2020, 1, 1), (None, "身份证号应为18位：17位数字加最后一位数字或X（现为10位）")),
    ],
)
def test_id_number_cells(raw, expected):
    assert v.id_number(raw) == expected
    assert v.id_numbers([raw]) == ([expected[0]], [expected[1]])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (43871, dt.date(2020, 2, 10)),
        (dt.datetime(2020, 2, 10, 8, 30), dt.date(2020, 2, 10)),
        ("20200210", dt.date(2020, 2, 10)),
        ("2020-2-30", None),
        ("2月30日", None),
        ("1900-01-01", None),
        ("明天", None),
        (12.5, None),
        (dt.time(8, 0), None),
    ],
)
def test_date_cells(raw, expected):
    value, reason = v.make_date(2020)(raw)
    assert value == expected
    assert (reason is None) == (expected is not None)


# --- the template ---------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["unit", "community"])
def test_the_template_reads_back_as_an_empty_ledger(tmp_path, side):
    path = tmp_path / "template.xlsx"
    path.write_bytes(build_template(side))
    parsed = read_ledger(path, side=side)
    assert (parsed.rows, parsed.errors) == ([], [])
    assert parsed.columns["community"] == ("居住社区*" if side == "community" else "居住社区")
    with zipfile.ZipFile(path) as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
        styles = zf.read("xl/styles.xml").decode()
    assert "填写说明" in workbook
    assert 'state="frozen"' in sheet
    assert sheet.count('type="list"') == 2
    assert "外地返回,同住密切接触者,发热,其他" in sheet
    assert "机关,行业" in sheet
    assert sheet.count("promptTitle=") == 12
    assert 'formatCode="@"' in styles or 'numFmtId="49"' in styles


# --- speed ----------------------------------------------------------------------------------------


def test_twenty_thousand_rows_read_quickly(tmp_path):
    import time

    rows = [HEADERS] + [
        [
            f"人员{chr(0x4E00 + i % 3000)}",
            make_id(f"2206021985{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 1000:03d}"),
            f"139{i:08d}",
            "市民政局",
            "东兴社区",
            "2020-02-10",
            "外地返回",
            "机关",
        ]
        for i in range(20_000)
    ]
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes(rows))
    start = time.perf_counter()
    parsed = read_ledger(path, side="community")
    elapsed = time.perf_counter() - start
    assert len(parsed.rows) == 20_000
    assert elapsed < 20, elapsed



def test_a_ledger_longer_than_one_batch_keeps_its_row_numbers_and_finds_duplicates_across_batches(tmp_path):
    from fangkong.returnees.ledger import worker

    def row(i: int) -> list[str]:
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=i // 1000)
        return [f"人员{chr(0x4E00 + i % 3000)}", make_id(f"220602{birth:%Y%m%d}{i % 1000:03d}"),
                f"139{i:08d}", "市民政局", "东兴社区", "2020-02-10", "外地返回", "机关"]

    count = worker.BATCH_ROWS + 20
    rows = [["台账"], HEADERS] + [row(i) for i in range(count)]
    # rows[k] is Excel row k + 1.
    rows[2 + 40][1] = rows[2 + 12][1]  # the same batch
    rows[2 + worker.BATCH_ROWS + 5][1] = rows[2 + 7][1]  # the next batch repeats a number of the first
    rows[2 + worker.BATCH_ROWS + 9][5] = "2020-02-30"
    path = tmp_path / "long.csv"
    path.write_bytes(csv_bytes(rows))
    parsed = read_ledger(path, side="unit")
    assert len(parsed.rows) == count
    assert parsed.rows[0]["row"] == 3 and parsed.rows[-1]["row"] == count + 2
    assert parsed.rows[worker.BATCH_ROWS + 1]["row"] == worker.BATCH_ROWS + 4
    assert errors_by_cell(parsed) == {
        (43, "身份证号"): "与第15行的身份证号重复（同一人在文件中出现两次）",
        (worker.BATCH_ROWS + 8, "身份证号"): "与第10行的身份证号重复（同一人在文件中出现两次）",
        (worker.BATCH_ROWS + 12, "返回日期"): "日期不存在（如2月30日），请核对",
    }


# --- the child's hand-over ------------------------------------------------------------------------


def test_the_grid_hand_over_keeps_types_and_refuses_foreign_classes():
    import pickle

    from fangkong.returnees.ledger import worker

    rows = [["姓名", "返回日期", "备注"], ["a\x00b", dt.date(2020, 2, 10), 1.5], ["c", "", True]]
    encoded = worker._columns(rows, 10)
    assert [kind for kind, _ in encoded] == ["l", "d", "l"]  # a NUL inside text cannot use the joined form
    payload = pickle.dumps(("ok", encoded))
    status, loaded = worker._ValuesUnpickler(io.BytesIO(payload)).load()
    assert [worker._decode(kind, value) for kind, value in loaded] == [
        ["姓名", "a\x00b", "c"],
        ["返回日期", dt.date(2020, 2, 10), ""],
        ["备注", 1.5, True],
    ]
    with pytest.raises(pickle.UnpicklingError):
        worker._ValuesUnpickler(io.BytesIO(pickle.dumps(("ok", Path("/"))))).load()


def _long_rows(count: int) -> list[list[str]]:
    def row(i: int) -> list[str]:
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=i // 1000)
        return [f"人员{chr(0x4E00 + i % 3000)}", make_id(f"220602{birth:%Y%m%d}{i % 1000:03d}"),
                f"139{i:08d}", "市民政局", "东兴社区", "2020-02-10", "外地返回", "机关"]

    return [HEADERS] + [row(i) for i in range(count)]


def test_batches_arrive_while_the_child_is_still_reading(tmp_path, monkeypatch):
    """The first batch reaches the caller while the child has not read the rest of the file: a
    stand-in child that holds back after its first batch until the caller opens a gate."""
    from fangkong.returnees.ledger import worker
    from fangkong.returnees.ledger.sniff import sniff

    monkeypatch.setattr(worker, "MODULE", "tests.returnees.gated_parser")
    path = tmp_path / "gated.csv"
    path.write_bytes(csv_bytes([["姓名"], ["x"]]))
    limits = Limits()
    with worker.read_batches(path, sniff(path, limits), limits, header_rows=5) as batches:
        first = next(batches)
        assert len(_children()) == 1  # still running, held at the gate
        Path(str(path) + ".gate").touch()
        rest = list(batches)
    assert first[0][:2] == ["姓名", "先0"] and len(first[0]) == worker.BATCH_ROWS
    assert rest == [[["后"] * 5]]
    assert _children() == []


def _batches_until_error(path: Path) -> tuple[list[int], str]:
    """The sizes of the batches read before the reader raised, and its message."""
    from fangkong.returnees.ledger import worker
    from fangkong.returnees.ledger.sniff import sniff

    limits = Limits()
    got = []
    with (pytest.raises(LedgerFileError) as exc,
          worker.read_batches(path, sniff(path, limits), limits, header_rows=5) as batches):
        for batch in batches:
            got.append(len(batch[0]))
    return got, exc.value.message


def _children() -> list[int]:
    """Process ids of this process's children that run the ledger parser (or its stand-in)."""
    import os

    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and (b"ledger.worker" in cmdline or b"gated_parser" in cmdline):
            found.append(int(entry.name))
    return found


def test_a_problem_found_after_the_first_batch_is_raised_where_it_is_met(tmp_path):
    """A CSV that turns unreadable after the first batch: its rows come first, then the clear error,
    and the child is gone afterwards."""
    from fangkong.returnees.ledger import worker

    rows = _long_rows(worker.BATCH_ROWS + 50)
    rows[worker.BATCH_ROWS + 20][9 - 2] = "长" * 200_000  # over the csv module's field limit
    path = tmp_path / "late.csv"
    path.write_bytes(csv_bytes(rows))
    got, message = _batches_until_error(path)
    assert got == [worker.BATCH_ROWS]
    assert message.startswith("CSV文件格式错误")
    assert _children() == []
    assert file_error(path).startswith("CSV文件格式错误")


def test_a_caller_that_stops_early_leaves_no_child_behind(tmp_path, monkeypatch):
    from fangkong.returnees.ledger import worker
    from fangkong.returnees.ledger.sniff import sniff

    monkeypatch.setattr(worker, "MODULE", "tests.returnees.gated_parser")
    path = tmp_path / "gated.csv"
    path.write_bytes(csv_bytes([["姓名"], ["x"]]))
    limits = Limits()
    with worker.read_batches(path, sniff(path, limits), limits, header_rows=5) as batches:
        next(batches)
        assert len(_children()) == 1
    assert _children() == []  # killed at the gate and reaped


def test_a_record_from_the_child_that_is_not_a_grid_is_refused_as_a_corrupt_file(tmp_path, monkeypatch):
    """Whatever a subverted or broken parser writes, the reader loads plain values only."""
    from fangkong.returnees.ledger import worker
    from fangkong.returnees.ledger.sniff import CORRUPT

    monkeypatch.setattr(worker, "MODULE", "tests.returnees.gated_parser")
    path = tmp_path / "ledger.forged.csv"
    path.write_bytes(csv_bytes([["姓名"], ["x"]]))
    got, message = _batches_until_error(path)
    assert got == [worker.BATCH_ROWS] and message == CORRUPT
    assert _children() == []
