"""The ledger's columns: field keys and Chinese headers, the synonyms real ledgers use (headers.json),
and placing a file's columns (core.columnmap)."""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fangkong.core.columnmap import (
    HeaderPlan,
    MappingNeeded,
    Vocabulary,
    display_header,
    normalize_header,
    plan_header,
    refusal,
)

from .sniff import LedgerFileError

__all__ = ["FIELDS", "REQUIRED", "SIDES", "Field", "HeaderPlan", "MappingNeeded", "display_header",
           "find_header", "normalize_header"]


@dataclass(frozen=True)
class Field:
    key: str
    header: str
    synonyms: tuple[str, ...] = ()
    hint: str = ""


# The template's headers; the synonyms real ledgers use are kept as data in headers.json.
FIELDS: tuple[Field, ...] = (
    Field("name", "姓名", (), "填写真实姓名，只能包含汉字、字母、间隔号（·）和空格。"),
    Field("id_number", "身份证号", (), "18位居民身份证号码，末位可以是X。本列已设为文本格式，请勿改成数字格式。"),
    Field("phone", "联系电话", (), "11位手机号码，或带区号的固定电话（如0439-3211234）；只填一个号码。"),
    Field("employer", "工作单位", (), "填写单位全称。"),
    Field("community", "居住社区", (), "填写现居住的社区名称。"),
    Field("address", "居住地址", (), "填写详细居住地址。"),
    Field("category", "人员类别", (), "从下拉列表选择：外地返回、同住密切接触者、发热、其他。不填视为外地返回。"),
    Field("origin", "来源地", (), "从何地返回，如：湖北省武汉市江汉区。"),
    Field("transport", "交通方式", (), "如：自驾、火车（车次）、飞机（航班号）。"),
    Field("return_date", "返回日期", (), "日期，如2020-02-10。"),
    Field("line", "调度线", (), "从下拉列表选择：机关、行业。"),
    Field("notes", "备注", (), "其他需要说明的情况。"),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
REQUIRED: dict[str, tuple[str, ...]] = {
    "unit": ("name", "id_number", "return_date"),
    "community": ("name", "id_number", "community", "return_date"),
}
SIDES = tuple(REQUIRED)
CHECKS: dict[str, str] = {"sex": "性别", "age": "年龄", "birth_date": "出生日期", "isolation": "是否居家隔离"}
# The header is looked for in the first rows only: titles and notes may sit above it.
HEADER_SEARCH_ROWS = 10
# Rows read with the header for the mapping step's first values of each column.
SAMPLE_ROWS = 5


def _vocabulary(side: str) -> Vocabulary:
    data = json.loads((Path(__file__).with_name("headers.json")).read_text(encoding="utf-8"))
    labels = {f.key: f.header for f in FIELDS} | CHECKS
    return Vocabulary.from_data(data, labels, REQUIRED[side])


VOCABULARIES = {side: _vocabulary(side) for side in SIDES}
# What a column can be mapped to: the fields, then the checked columns (not stored).
TARGET_LABELS: dict[str, str] = {f.key: f.header for f in FIELDS} | CHECKS


def check_mapping(mapping: Mapping[str, str], side: str) -> None:
    """Refuse a mapping naming a field the ledger does not have."""
    known = set(VOCABULARIES[side].keys)
    bad = sorted({key for key in mapping.values() if key and key not in known})
    if bad:
        raise LedgerFileError("未知的字段：" + "、".join(bad) + "。可用的字段：" + "、".join(sorted(known)))


def find_header(
    grid: Sequence[Sequence[Any]], side: str, *, mapping: Mapping[str, str] | None = None,
    remembered: Callable[[str], Mapping[str, str] | None] | None = None,
) -> HeaderPlan:
    """Find the header row, tolerating titles above it, order, extra columns and merged header
    cells, and place every column (core.columnmap). MappingNeeded when a required field has no
    column or a column with data is not placed."""
    plan = plan_header(grid, VOCABULARIES[side], mapping=mapping, remembered=remembered,
                       search_rows=HEADER_SEARCH_ROWS)
    if plan is None:
        raise LedgerFileError(
            "找不到表头：前10行中没有一行包含台账的列名（如“姓名”“身份证号”）。请使用下载的模板填写。"
        )
    if plan.needs_mapping:
        raise LedgerMappingNeeded(plan)
    return plan


def missing_message(plan: HeaderPlan) -> str:
    """The refusal for a plan that needs the mapping step, with a suggestion per column."""
    return refusal(plan, TARGET_LABELS)


class LedgerMappingNeeded(MappingNeeded, LedgerFileError):
    """The ledger's columns need the user's mapping: a file error to a caller that cannot map
    (read_ledger), the mapping step to one that can (imports.import_run)."""

    def __init__(self, plan: HeaderPlan) -> None:
        message = missing_message(plan)
        MappingNeeded.__init__(self, plan, message)
        self.message = message
