"""Columns the platform can check but does not store: 性别, 年龄 and 出生日期 against the ID number,
是否居家隔离 against the isolation rules. Each disagreement is a warning on its row (a problem when
the uploader asks for strict checking). Only files that have such columns pay for this."""

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from fangkong.core.idcard import sex_of

from .values import cell_text

SEXES = {"男": "M", "男性": "M", "m": "M", "male": "M", "女": "F", "女性": "F", "f": "F", "female": "F"}
SEX_LABELS = {"M": "男", "F": "女"}
YES = {"是", "已隔离", "已居家隔离", "居家隔离", "隔离", "y", "yes", "√", "已落实"}
NO = {"否", "未隔离", "未居家隔离", "没有", "无", "n", "no", "×", "未落实"}
# Categories whose people must be isolated at home (外地返回, 同住密切接触者, 发热).
MUST_ISOLATE = {"outside", "relative", "fever"}
_NUMBER = re.compile(r"(\d{1,3})(?:\.0+)?\s*(?:岁|周岁)?")
_BIRTH = re.compile(r"(\d{4})\D{0,2}(\d{1,2})?(?:\D{0,2}(\d{1,2}))?\D?")

Warning = tuple[int, str, str, str]  # row, column header, value, reason
NOT_ISOLATED = "该人员按规定应居家隔离，台账填写为“否”：已提示社区核实"


def _text(value: Any) -> str:
    return unicodedata.normalize("NFKC", cell_text(value)).strip().casefold()


def check_rows(
    rows: list[dict[str, Any]], data: list[list[Any]], start: int, checks: dict[str, int], texts: dict[str, str],
    year: int,
) -> Iterator[Warning]:
    """Warnings for the checked columns of validated ``rows`` (``data`` is the batch's grid,
    column by column, starting at grid row ``start``). ``year`` is the ledger's year: an age is
    compared with it, a year either way (a birthday not yet reached, or the traditional count)."""
    for row in rows:
        number = row.get("id_number")
        i = row["row"] - start - 1
        for key, index in checks.items():
            raw = data[index][i] if index < len(data) else ""
            text = _text(raw)
            if not text:
                continue
            reason = _check(key, raw, text, number, row)
            if reason:
                yield row["row"], texts[key], cell_text(raw)[:100], reason


def _check(key: str, raw: Any, text: str, number: str | None, row: dict[str, Any]) -> str | None:
    if key == "isolation":
        if text in NO and row.get("category") in MUST_ISOLATE:
            return NOT_ISOLATED
        if text not in YES and text not in NO:
            return "是否居家隔离只能填写：是、否"
        return None
    if not number:
        return None
    if key == "sex":
        sex = SEXES.get(text)
        if sex is None:
            return "性别只能填写：男、女"
        if sex != sex_of(number):
            return f"性别“{cell_text(raw)}”与身份证号（{SEX_LABELS[sex_of(number)]}）不符"
        return None
    born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    if key == "age":
        match = _NUMBER.fullmatch(text) if isinstance(raw, str) else None
        age = int(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else (
            int(match.group(1)) if match else None)
        if age is None:
            return "年龄应为数字"
        ref = row.get("return_date") or dt.date(2020, 1, 1)
        actual = ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))
        if abs(age - actual) > 1:
            return f"年龄{age}岁与身份证号的出生日期（{actual}岁）不符"
        return None
    if key == "birth_date":
        if isinstance(raw, (dt.date, dt.datetime)):
            parts: tuple[int, int | None, int | None] = (raw.year, raw.month, raw.day)
        else:
            match = _BIRTH.fullmatch(text.replace(" ", ""))
            if not match:
                return "出生日期格式无法识别"
            parts = (int(match.group(1)), int(match.group(2)) if match.group(2) else None,
                     int(match.group(3)) if match.group(3) else None)
        expected = (born.year, born.month, born.day)
        if any(p is not None and p != e for p, e in zip(parts, expected, strict=True)):
            return "出生日期与身份证号不符"
        return None
    return None
