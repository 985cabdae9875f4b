"""The ledger's columns: field keys, Chinese headers and their synonyms, and finding the header row."""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fangkong.core.excel import column_letter

from .sniff import LedgerFileError


@dataclass(frozen=True)
class Field:
    key: str
    header: str
    synonyms: tuple[str, ...] = ()
    hint: str = ""


FIELDS: tuple[Field, ...] = (
    Field("name", "姓名", (), "填写真实姓名，只能包含汉字、字母、间隔号（·）和空格。"),
    Field(
        "id_number",
        "身份证号",
        ("身份证号码", "公民身份号码", "身份证", "证件号码"),
        "18位居民身份证号码，末位可以是X。本列已设为文本格式，请勿改成数字格式。",
    ),
    Field("phone", "联系电话", ("手机", "手机号", "手机号码", "电话"), "11位手机号码。"),
    Field("employer", "工作单位", ("单位", "所在单位", "单位名称"), "填写单位全称。"),
    Field("community", "居住社区", ("社区", "所在社区", "现居住社区"), "填写现居住的社区名称。"),
    Field("address", "居住地址", ("住址", "现住址", "详细地址"), "填写详细居住地址。"),
    Field(
        "category",
        "人员类别",
        ("类别",),
        "从下拉列表选择：外地返回、同住密切接触者、发热、其他。不填视为外地返回。",
    ),
    Field("origin", "来源地", ("从何地返回", "返回地", "来自"), "从何地返回，如：湖北省武汉市江汉区。"),
    Field("transport", "交通方式", ("返程方式", "交通工具"), "如：自驾、火车（车次）、飞机（航班号）。"),
    Field("return_date", "返回日期", ("返程日期", "抵达日期", "到达日期"), "日期，如2020-02-10。"),
    Field("line", "调度线", ("条线", "所属条线"), "从下拉列表选择：机关、行业。"),
    Field("notes", "备注", (), "其他需要说明的情况。"),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
REQUIRED: dict[str, tuple[str, ...]] = {
    "unit": ("name", "id_number", "return_date"),
    "community": ("name", "id_number", "community", "return_date"),
}
SIDES = tuple(REQUIRED)
# The header is looked for in the first rows only: titles and notes may sit above it.
HEADER_SEARCH_ROWS = 10

_STRIP = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_TRAILING = re.compile(r"(?:\([^()]*\))?[:*]*$")


def normalize_header(value: Any) -> str:
    """NFKC, no whitespace anywhere, no required-mark or colon at the end, case-folded."""
    text = _STRIP.sub("", unicodedata.normalize("NFKC", str(value)))
    # "*姓名", "姓名：", "身份证号（18位）*" all name the same column.
    return _TRAILING.sub("", text.lstrip("*")).casefold()


def best_header_row(
    grid: Sequence[Sequence[Any]], lookup: dict[str, str], rows: int = HEADER_SEARCH_ROWS
) -> tuple[int, dict[str, int]]:
    """For a list with its own columns (secondments, passes): the top row naming the most known
    columns, and each column key's index there (its first occurrence). ``lookup`` maps
    ``normalize_header`` titles to keys. (-1, {}) when no row names one."""
    best, best_found = -1, dict[str, int]()
    for r, row in enumerate(grid[:rows]):
        found: dict[str, int] = {}
        for i, cell in enumerate(row):
            key = lookup.get(normalize_header(cell)) if isinstance(cell, str) and cell else None
            if key and key not in found:
                found[key] = i
        if len(found) > len(best_found):
            best, best_found = r, found
    return best, best_found


_LOOKUP = {normalize_header(name): f.key for f in FIELDS for name in (f.header, *f.synonyms)}


def display_header(value: Any) -> str:
    return " ".join(str(value).split())


@dataclass(frozen=True)
class Header:
    data_start: int  # grid index of the first data row
    indexes: dict[str, int]  # field key -> column index
    texts: dict[str, str]  # field key -> header text as in the file


def _match_row(row: Sequence[Any]) -> dict[int, str]:
    """Column index -> field key for each cell of the row that is a known header."""
    found = {}
    for i, cell in enumerate(row):
        if isinstance(cell, str) and cell:
            key = _LOOKUP.get(normalize_header(cell))
            if key:
                found[i] = key
    return found


def find_header(grid: Sequence[Sequence[Any]], side: str) -> Header:
    """Find the header row, tolerating titles above it, order, extra columns and merged header cells."""
    window = [_match_row(row) for row in grid[:HEADER_SEARCH_ROWS]]
    best = max(range(len(window)), key=lambda i: len(set(window[i].values())), default=-1)
    if best < 0 or not window[best]:
        raise LedgerFileError(
            "找不到表头：前10行中没有一行包含台账的列名（如“姓名”“身份证号”）。请使用下载的模板填写。"
        )
    # column index -> (field key, grid row holding its label)
    chosen = {i: (key, best) for i, key in window[best].items()}
    # A header cell merged over two rows shows its label in the upper row only, and a two-level header
    # has group labels ("联系方式") over the real ones: where the chosen row has no known label, take
    # one from the row just above or below.
    for other in (best - 1, best + 1):
        if not 0 <= other < len(window):
            continue
        taken = {key for key, _ in chosen.values()}
        for i, key in window[other].items():
            if i not in chosen and key not in taken:
                chosen[i] = (key, other)
                taken.add(key)

    indexes: dict[str, int] = {}
    texts: dict[str, str] = {}
    for i, (key, row) in sorted(chosen.items()):
        text = display_header(grid[row][i])
        if key in indexes:
            first = indexes[key]
            raise LedgerFileError(
                f"表头重复：第{column_letter(first)}列“{texts[key]}”和第{column_letter(i)}列“{text}”"
                f"都表示“{FIELD_BY_KEY[key].header}”，请删除或改名其中一列。"
            )
        indexes[key] = i
        texts[key] = text
    last = max(row for _, row in chosen.values())

    missing = [FIELD_BY_KEY[k].header for k in REQUIRED[side] if k not in indexes]
    if missing:
        raise LedgerFileError(
            "缺少必填列："
            + "、".join(missing)
            + f"（表头在第{best + 1}行）。请检查列名，或使用下载的模板填写。"
        )
    return Header(data_start=last + 1, indexes=indexes, texts=texts)
