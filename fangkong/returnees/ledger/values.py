"""Normalising the cells of a ledger: each normaliser returns (value, None) or (None, a reason in Chinese).

Cells arrive as calamine gives them: str, float (every number), bool, date/datetime (date-formatted
cells) or time/timedelta, and as str only from a csv. Reasons are data-file messages for the person
who filled in the ledger, so they are plain Chinese strings. The happy path raises no exception:
the core validators are called only for values that the quick checks here cannot accept.
"""

import datetime as dt
import decimal
import functools
import itertools
import operator
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from fangkong.core.idcard import (
    CHECK_CHARS,
    check_digit,
    normalize_id_number,
    normalize_phone,
    parse_id_number,
)
from fangkong.core.text import clean_text

Result = tuple[Any, str | None]
Normalizer = Callable[[Any], Result]
Batch = Callable[[list[Any]], tuple[list[Any], list[str | None]]]

EXCEL_NUMBER = "身份证号被Excel转成了数字，请将该列设置为文本格式后重新填写"
_ID_REASONS = {
    "empty": "身份证号不能为空",
    "format": "身份证号应为18位：17位数字加最后一位数字或X（现为{n}位）",
    "birth": "身份证号中的出生日期不存在，请核对",
    "checksum": "身份证号校验位不正确，请逐位核对",
}
PHONE_REASON = "电话应为11位手机号码（以13至19开头，可带+86），或带区号的固定电话（如0439-3211234）"
PHONE_REASONS = {
    "two": "一个单元格只能填一个电话号码，请只保留一个（其他号码可写在备注中）",
    "extension": "请去掉分机号，只填总机号码（分机号可写在备注中）",
    "area": "固定电话请加区号，如0439-3211234",
}
DATE_REASON = "日期格式无法识别，请填写如2020-02-10的日期"
DATE_IMPOSSIBLE = "日期不存在（如2月30日），请核对"
DATE_RANGE = "日期年份不合理（应在2000年至2100年之间）"
CATEGORY_REASON = "人员类别只能填写：外地返回、同住密切接触者、发热、其他"
LINE_REASON = "调度线只能填写：机关、行业"
NAME_REASON = "姓名只能包含汉字、字母、间隔号（·）和空格，不能含有“{ch}”"
_TEXT_REASONS = {
    "control": "含有不可见的控制字符，请删除后重新填写",
    "bidi": "含有文字方向控制字符（可能使内容显示与实际不符），请删除后重新填写",
    "length": "最多{max}个字符（现有{n}个）",
}
MAX_LENGTHS = {
    "name": 60,
    "employer": 100,
    "community": 100,
    "address": 200,
    "origin": 100,
    "transport": 40,
    "notes": 500,
}

CATEGORIES = {
    "外地返回": "outside",
    "区外返回": "outside",
    "返回人员": "outside",
    "同住密切接触者": "relative",
    "同住亲属": "relative",
    "密切接触者": "relative",
    "发热": "fever",
    "发热症状": "fever",
    "其他": "other",
    "其它": "other",
}
CATEGORY_CHOICES = ("外地返回", "同住密切接触者", "发热", "其他")
LINES = {
    "机关": "organs",
    "机关条线": "organs",
    "机关返程调度线": "organs",
    "行业": "industry",
    "行业条线": "industry",
    "行业排查调度线": "industry",
}
LINE_CHOICES = ("机关", "行业")
# The value of a cell left empty, per field.
EMPTY: dict[str, Any] = {"category": "outside", "return_date": None, "id_number": None}

_ID18 = re.compile(r"\d{17}[\dX]", re.ASCII)
_DIGITS15 = re.compile(r"\d{15}", re.ASCII)
_NUMBER_TEXT = re.compile(r"(\d+)\.0+", re.ASCII)
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?E\+?\d+", re.ASCII)
_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_YMD = re.compile(
    r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?",
    re.ASCII,
)
_MD = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*日?", re.ASCII)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_SPACES = re.compile(r"\s+")
# The characters core.text.clean_text refuses (category Cc and the bidi controls), for a quick check.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_MULTILINE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# The same without NUL, for a column joined with NUL separators.
_UNSAFE_JOINED = re.compile("[\x01-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_MULTILINE_JOINED = re.compile(
    "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_BREAKS = re.compile(r"[\r\n\t]")
_first = operator.itemgetter(0)
_second = operator.itemgetter(1)
_LINE_BREAKS = re.compile(r"\s*[\r\n\t]+\s*")
_NAME = re.compile(r"(?:[^\W\d_]|[·・•‧ \u3000])+")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 in the 1900 date system (with its leap-day bug)
MIN_YEAR, MAX_YEAR = 2000, 2100


def _forget_frames(exc: ValidationError) -> None:
    """Drop a caught ValidationError's traceback. Django's ValidationError refers to itself (its
    error_list holds it), so it lives until the cyclic garbage collector runs, which an import
    pauses; its traceback would keep the frames that called it alive as long, and with them the
    whole batch of rows being normalised: every batch with one bad value would stay in memory."""
    exc.__traceback__ = None


def cell_text(value: Any) -> str:
    """A cell as text, the way Excel would show it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer():
            # Excel keeps 15 significant digits; show 1.10101199003077E+17 as 110101199003077000.
            return (
                format(decimal.Decimal(format(value, ".15g")), "f") if abs(value) >= 1e15 else str(int(value))
            )
        return format(value, ".15g")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_FIRST17 = operator.itemgetter(slice(0, 17))
_CHECK = operator.itemgetter(17)
_BIRTH = operator.itemgetter(slice(6, 14))


@functools.cache
def _birth_date_ok(yyyymmdd: str) -> bool:
    try:
        return dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])).year >= 1900
    except ValueError:
        return False


def id_number(raw: Any) -> Result:
    # parse_id_number's checks for a number already in canonical form, without its exceptions
    # (for the base 13, see id_numbers).
    if (
        raw.__class__ is str
        and _ID18.fullmatch(raw)
        and CHECK_CHARS[2 * int(raw[:17], 13) % 11] == raw[17]
        and _birth_date_ok(raw[6:14])
    ):
        return raw, None
    from_number = False
    if isinstance(raw, str):
        text = normalize_id_number(raw)
        if not text.isascii():
            return None, _ID_REASONS["format"].format(n=len(text))
        match = _NUMBER_TEXT.fullmatch(text)
        if match:
            text, from_number = match.group(1), True
        elif _SCIENTIFIC.fullmatch(text):
            return None, EXCEL_NUMBER
    elif _is_number(raw):
        # A 15-digit legacy number survives as a number intact; anything longer lost its last digits.
        if (isinstance(raw, float) and not raw.is_integer()) or not 10**14 <= raw < 10**15:
            return None, EXCEL_NUMBER
        text = str(int(raw))
    else:
        return None, _ID_REASONS["format"].format(n=len(cell_text(raw)))
    if len(text) == 15 and _DIGITS15.fullmatch(text):
        # GB 11643-1989 numbers: 2-digit year, no check digit.
        first17 = text[:6] + "19" + text[6:]
        text = first17 + check_digit(first17)
    elif from_number and len(text) == 18:
        return None, EXCEL_NUMBER
    try:
        info = parse_id_number(text)
    except ValidationError as exc:
        _forget_frames(exc)
        if exc.code == "checksum" and text.endswith("000"):
            return None, EXCEL_NUMBER
        return None, _ID_REASONS.get(str(exc.code), _ID_REASONS["format"]).format(n=len(text))
    return info.number, None


def id_numbers(raws: list[Any]) -> tuple[list[Any], list[str | None]]:
    """id_number for a column's distinct values, with the canonical ones checked in C-level loops.

    GB 11643's weights are 2**(17-k) mod 11, and 13 = 2 (mod 11), so the weighted digit sum of the
    first 17 digits is 2 * int(digits, 13) (mod 11): one int() per number instead of 17 products.
    """
    if not raws or set(map(type, raws)) != {str}:
        return each(id_number)(raws)
    canonical = list(itertools.compress(raws, map(_ID18.fullmatch, raws)))
    sums = map(int, map(_FIRST17, canonical), itertools.repeat(13))
    expected = map(CHECK_CHARS.__getitem__, map(operator.mod, map((2).__mul__, sums), itertools.repeat(11)))
    checked = list(itertools.compress(canonical, map(operator.eq, expected, map(_CHECK, canonical))))
    valid = set(itertools.compress(checked, map(_birth_date_ok, map(_BIRTH, checked))))
    return _with_fallback(raws, valid, id_number)


def _with_fallback(raws: list[Any], valid: set[Any], func: Normalizer) -> tuple[list[Any], list[str | None]]:
    """Values already known to be valid and canonical stay as they are; the rest go through func."""
    if len(valid) == len(raws):
        return list(raws), [None] * len(raws)
    results = [(raw, None) if raw in valid else func(raw) for raw in raws]
    return list(map(_first, results)), list(map(_second, results))


def phones(raws: list[Any]) -> tuple[list[Any], list[str | None]]:
    if not raws or set(map(type, raws)) != {str}:
        return each(phone)(raws)
    return _with_fallback(raws, set(itertools.compress(raws, map(_MOBILE.fullmatch, raws))), phone)


def phone(raw: Any) -> Result:
    if isinstance(raw, str):
        if _MOBILE.fullmatch(raw):
            return raw, None
        text = raw.strip()
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
    elif _is_number(raw) and float(raw).is_integer():
        text = str(int(raw))
    else:
        return None, PHONE_REASON
    try:
        return normalize_phone(text), None
    except ValidationError as exc:
        _forget_frames(exc)
        return None, PHONE_REASONS.get(str(exc.code), PHONE_REASON)


def _checked_date(year: int, month: int, day: int) -> Result:
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return None, DATE_IMPOSSIBLE
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None, DATE_RANGE
    return value, None


def make_date(default_year: int) -> Normalizer:
    def date(raw: Any) -> Result:
        if isinstance(raw, dt.datetime):
            return _checked_date(raw.year, raw.month, raw.day)
        if isinstance(raw, dt.date):
            return _checked_date(raw.year, raw.month, raw.day)
        if _is_number(raw):
            # An Excel serial number that lost its date format (1900 date system).
            if 20000 <= raw <= 80000:
                value = EXCEL_EPOCH + dt.timedelta(days=int(raw))
                return _checked_date(value.year, value.month, value.day)
            return None, DATE_REASON
        if not isinstance(raw, str):
            return None, DATE_REASON
        text = unicodedata.normalize("NFKC", raw).strip()
        match = _YMD.fullmatch(text) or _COMPACT.fullmatch(text)
        if match:
            return _checked_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        match = _MD.fullmatch(text)
        if match:
            return _checked_date(default_year, int(match.group(1)), int(match.group(2)))
        return None, DATE_REASON

    return date


def _choice(mapping: dict[str, str], reason: str) -> Normalizer:
    lookup = {**mapping, **{code: code for code in mapping.values()}}

    def choice(raw: Any) -> Result:
        key = _SPACES.sub("", unicodedata.normalize("NFKC", cell_text(raw)))
        value = lookup.get(key)
        return (value, None) if value else (None, reason)

    return choice


def make_text(max_length: int, *, multiline: bool = False) -> Normalizer:
    unsafe = _UNSAFE_MULTILINE if multiline else _UNSAFE

    def text(raw: Any) -> Result:
        value = raw if isinstance(raw, str) else cell_text(raw)
        if not multiline and ("\n" in value or "\r" in value or "\t" in value):
            # A line break typed with Alt+Enter in an address is layout, not content.
            value = _LINE_BREAKS.sub(" ", value)
        quick = unicodedata.normalize("NFC", value).strip()
        if len(quick) <= max_length and not unsafe.search(quick):
            return quick, None
        try:
            return clean_text(value, max_length=max_length, multiline=multiline), None
        except ValidationError as exc:
            _forget_frames(exc)
            reason = _TEXT_REASONS.get(str(exc.code), _TEXT_REASONS["control"])
            return None, reason.format(max=max_length, n=len(quick))

    return text


def each(func: Normalizer) -> Batch:
    def many(raws: list[Any]) -> tuple[list[Any], list[str | None]]:
        results = list(map(func, raws))
        return list(map(_first, results)), list(map(_second, results))

    return many


def make_text_batch(max_length: int, *, multiline: bool = False) -> Batch:
    """Text of a whole column at once: one NFC pass and one search for unsafe characters.

    NFC cannot compose across the NUL separator, so normalising the joined text is normalising each
    value; any value that is not plain (unsafe characters, too long, line breaks) goes through `text`.
    """
    text = make_text(max_length, multiline=multiline)
    single = each(text)
    unsafe = _UNSAFE_MULTILINE_JOINED if multiline else _UNSAFE_JOINED

    def many(raws: list[Any]) -> tuple[list[Any], list[str | None]]:
        if not raws or set(map(type, raws)) != {str}:
            return single(raws)
        joined = "\x00".join(raws)
        if joined.count("\x00") != len(raws) - 1 or (not multiline and _BREAKS.search(joined)):
            return single(raws)
        joined = unicodedata.normalize("NFC", joined)
        if unsafe.search(joined):
            return single(raws)
        values = list(map(str.strip, joined.split("\x00")))
        if max(map(len, values)) > max_length:
            return single(raws)
        return values, [None] * len(values)

    return many


def name_fault(value: str) -> str | None:
    """The first character a person's name may not hold, or None for a name: letters of any
    script, the middle dot (·) and spaces. The one rule for ledgers, forms and the API."""
    if _NAME.fullmatch(value):
        return None
    return next((ch for ch in value if not _NAME.fullmatch(ch)), value[:1])


def make_name_batch() -> Batch:
    texts = make_text_batch(MAX_LENGTHS["name"])

    def many(raws: list[Any]) -> tuple[list[Any], list[str | None]]:
        values, reasons = texts(raws)
        for i, value in enumerate(values):
            if reasons[i] is None and (bad := name_fault(value)) is not None:
                values[i], reasons[i] = None, NAME_REASON.format(ch=bad)
        return values, reasons

    return many


def normalizers(default_year: int) -> dict[str, Batch]:
    """Per field key, a function from a column's distinct non-blank values to (values, reasons)."""
    return {
        "name": make_name_batch(),
        "id_number": id_numbers,
        "phone": phones,
        "employer": make_text_batch(MAX_LENGTHS["employer"]),
        "community": make_text_batch(MAX_LENGTHS["community"]),
        "address": make_text_batch(MAX_LENGTHS["address"]),
        "category": each(_choice(CATEGORIES, CATEGORY_REASON)),
        "origin": make_text_batch(MAX_LENGTHS["origin"]),
        "transport": make_text_batch(MAX_LENGTHS["transport"]),
        "return_date": each(make_date(default_year)),
        "line": each(_choice(LINES, LINE_REASON)),
        "notes": make_text_batch(MAX_LENGTHS["notes"], multiline=True),
    }
