"""Decide what an uploaded ledger file really is, from its content, and refuse hostile ones early.

Nothing here parses a spreadsheet: it reads the first bytes, a zip's central directory or an OLE2
directory, so that zip bombs, encrypted workbooks and files that are not spreadsheets at all get a
clear error before a parser sees them.
"""

import codecs
import re
import struct
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

MB = 1024 * 1024


class LedgerFileError(Exception):
    """The file itself is unusable; `message` says why, in Chinese, for the person who uploaded it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Limits:
    """Limits on an uploaded ledger and on the process that parses it.

    Each can be set in Django settings as FANGKONG_IMPORT_<FIELD NAME IN CAPITALS>,
    e.g. FANGKONG_IMPORT_MAX_BYTES or FANGKONG_IMPORT_TIMEOUT_SECONDS.
    """

    max_bytes: int = 50 * MB
    max_zip_entries: int = 10_000
    max_uncompressed_bytes: int = 500 * MB
    # Sheet XML compresses 5-20x; a zip bomb's zeros compress about 1000x.
    max_compression_ratio: int = 200
    memory_bytes: int = 1536 * MB
    cpu_seconds: int = 60
    timeout_seconds: float = 90.0
    # Problems listed per upload: past this many, checking stops (reading and validating more of a
    # hostile file would only cost memory and time for problems nobody reads).
    max_problems: int = 1000

    @classmethod
    def from_settings(cls) -> "Limits":
        from django.conf import settings

        if not settings.configured:
            return cls()
        overrides = {}
        for field in fields(cls):
            value = getattr(settings, "FANGKONG_IMPORT_" + field.name.upper(), None)
            if value is not None:
                overrides[field.name] = value
        return cls(**overrides)


@dataclass(frozen=True)
class Sniffed:
    file_type: str  # "xlsx" | "xls" | "ods" | "csv"
    encoding: str | None = None  # for csv only
    delimiter: str = ","  # for csv only


ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A ratio is only meaningful for entries big enough to matter.
RATIO_MIN_BYTES = MB

EMPTY = "文件是空的（0字节），请重新选择台账文件后上传。"
TOO_BIG = "文件太大（{size}），上限为{limit}。请拆分成几个文件分批上传。"
CORRUPT = "文件已损坏，无法打开。请用Excel或WPS打开后重新保存（另存为xlsx），再上传。"
ZIP_BOMB = "文件解压后过大或压缩比异常（疑似“压缩炸弹”），已拒绝解析：{detail}。"
ENCRYPTED = "文件已加密（设置了打开密码），无法读取。请在Excel中取消密码后另存为xlsx，再重新上传。"
UNKNOWN = "无法识别的文件类型{what}。请上传xlsx、xls、ods或csv格式的台账。"
HTML = "这是网页（HTML）格式的文件，只是扩展名像Excel。请用Excel打开后另存为xlsx，再上传。"
XML2003 = "这是Excel 2003 XML格式的文件，暂不支持。请用Excel打开后另存为xlsx，再上传。"
XLSB = "这是xlsb格式（Excel二进制工作簿），暂不支持。请用Excel打开后另存为xlsx，再上传。"

_SIGNATURES = {
    b"%PDF": "（PDF文档）",
    b"\x89PNG": "（PNG图片）",
    b"\xff\xd8\xff": "（JPEG图片）",
    b"GIF8": "（GIF图片）",
    b"Rar!": "（RAR压缩包）",
    b"7z\xbc\xaf\x27\x1c": "（7z压缩包）",
    b"\x1f\x8b": "（gzip压缩包）",
    b"{\\rtf": "（RTF文档）",
}
# C0 controls other than tab, CR, LF (and form feed/vertical tab, which some exporters emit).
_BINARY_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def human_size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n / 1024:.0f} KB"


def sniff(path: Path, limits: Limits) -> Sniffed:
    """Return the file's real type; raise LedgerFileError when it is empty, too big, hostile or not a table."""
    size = path.stat().st_size
    if size == 0:
        raise LedgerFileError(EMPTY)
    if size > limits.max_bytes:
        raise LedgerFileError(TOO_BIG.format(size=human_size(size), limit=human_size(limits.max_bytes)))
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed(_sniff_zip(path, limits))
    if head.startswith(OLE2_MAGIC):
        return Sniffed(_sniff_ole2(path))
    if head.startswith(b"PK"):
        raise LedgerFileError(CORRUPT)
    for signature, what in _SIGNATURES.items():
        if head.startswith(signature):
            raise LedgerFileError(UNKNOWN.format(what=what))
    return _sniff_text(head, complete=size <= len(head))


def _sniff_zip(path: Path, limits: Limits) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_zip_entries:
                raise LedgerFileError(
                    ZIP_BOMB.format(detail=f"包含{len(infos)}个文件，上限为{limits.max_zip_entries}个")
                )
            total = 0
            for info in infos:
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > RATIO_MIN_BYTES and ratio > limits.max_compression_ratio:
                    raise LedgerFileError(
                        ZIP_BOMB.format(
                            detail=f"其中一个文件的压缩比为{ratio:.0f}:1，上限为{limits.max_compression_ratio}:1"
                        )
                    )
            if total > limits.max_uncompressed_bytes:
                raise LedgerFileError(
                    ZIP_BOMB.format(
                        detail=f"解压后共{human_size(total)}，上限为{human_size(limits.max_uncompressed_bytes)}"
                    )
                )
            if any(info.flag_bits & 0x1 for info in infos):
                raise LedgerFileError(ENCRYPTED)
            names = {info.filename for info in infos}
            if "mimetype" in names:
                if zf.getinfo("mimetype").file_size <= 200 and zf.read("mimetype").strip() == ODS_MIMETYPE:
                    return "ods"
                raise LedgerFileError(UNKNOWN.format(what="（OpenDocument文档，但不是电子表格）"))
            if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                return "xlsx"
            if "xl/workbook.bin" in names:
                raise LedgerFileError(XLSB)
            if "word/document.xml" in names:
                raise LedgerFileError(UNKNOWN.format(what="（Word文档）"))
            if "ppt/presentation.xml" in names:
                raise LedgerFileError(UNKNOWN.format(what="（PowerPoint演示文稿）"))
            raise LedgerFileError(UNKNOWN.format(what="（普通zip压缩包）"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, ValueError):
        raise LedgerFileError(CORRUPT) from None


def _sniff_ole2(path: Path) -> str:
    try:
        names = ole2_stream_names(path)
    except (ValueError, struct.error, OSError):
        raise LedgerFileError(CORRUPT) from None
    if names & {"EncryptionInfo", "EncryptedPackage"}:
        raise LedgerFileError(ENCRYPTED)
    if names & {"Workbook", "Book"}:
        return "xls"
    if "WordDocument" in names:
        raise LedgerFileError(UNKNOWN.format(what="（Word 97-2003文档）"))
    raise LedgerFileError(UNKNOWN.format(what="（Office文件，但不是Excel工作簿）"))


def ole2_stream_names(path: Path) -> set[str]:
    """Names in an OLE2 compound file's directory ([MS-CFB]), read with every chain bounded."""
    with path.open("rb") as fh:
        data = fh.read()
    if len(data) < 512:
        raise ValueError("short header")
    shift = struct.unpack_from("<H", data, 30)[0]
    if shift not in (9, 12):
        raise ValueError("sector size")
    sector_size = 1 << shift
    max_sectors = len(data) // sector_size + 1
    per_sector = sector_size // 4

    def sector(n: int) -> bytes:
        start = (n + 1) * sector_size
        if start >= len(data):
            raise ValueError("sector out of range")
        return data[start : start + sector_size]

    # The FAT's own sectors: 109 in the header, the rest in a chain of DIFAT sectors.
    fat_sectors = [n for n in struct.unpack_from("<109I", data, 76) if n < 0xFFFFFFFA]
    difat, guard = struct.unpack_from("<I", data, 68)[0], 0
    while difat < 0xFFFFFFFA and guard < max_sectors:
        entries = struct.unpack(f"<{per_sector}I", sector(difat))
        fat_sectors.extend(n for n in entries[:-1] if n < 0xFFFFFFFA)
        difat, guard = entries[-1], guard + 1

    def next_sector(n: int) -> int:
        index, offset = divmod(n, per_sector)
        if index >= len(fat_sectors):
            raise ValueError("sector outside the FAT")
        return int(struct.unpack_from("<I", sector(fat_sectors[index]), offset * 4)[0])

    names: set[str] = set()
    current, guard = struct.unpack_from("<I", data, 48)[0], 0
    while current < 0xFFFFFFFA and guard < max_sectors:
        block = sector(current)
        for pos in range(0, len(block) - 127, 128):
            length = struct.unpack_from("<H", block, pos + 64)[0]
            if block[pos + 66] in (1, 2, 5) and 2 <= length <= 64:
                names.add(block[pos : pos + length - 2].decode("utf-16-le", "replace"))
        current, guard = next_sector(current), guard + 1
    return names


def _sniff_text(head: bytes, *, complete: bool) -> Sniffed:
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in head:
        raise LedgerFileError(UNKNOWN.format(what="（二进制文件，不是文本表格）"))
    else:
        encoding = "utf-8"
    text = _decode_head(head, encoding, complete)
    if text is None and encoding == "utf-8":
        encoding = "gb18030"
        text = _decode_head(head, encoding, complete)
    if text is None:
        raise LedgerFileError(UNKNOWN.format(what="（无法识别的文字编码，也不是Excel文件）"))
    if len(_BINARY_CHARS.findall(text)) > max(3, len(text) // 100):
        raise LedgerFileError(UNKNOWN.format(what="（二进制文件，不是文本表格）"))
    start = text.lstrip()[:2048].lower()
    if start.startswith(("<!doctype html", "<html")) or "<table" in start:
        raise LedgerFileError(HTML)
    if start.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in text:
            raise LedgerFileError(XML2003)
        raise LedgerFileError(UNKNOWN.format(what="（XML文件）"))
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    return Sniffed("csv", encoding, delimiter)


def _decode_head(head: bytes, encoding: str, complete: bool) -> str | None:
    # An incremental decoder tolerates a multi-byte character cut at the end of the sample.
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        return str(decoder.decode(head, final=complete))
    except UnicodeDecodeError:
        return None
