"""Mapping a file's columns to the fields of a list, for every import (returnee ledgers,
secondment lists, passes): one piece, each import giving its own vocabulary.

Offices keep their lists in their own templates: a title row, a "填报单位（盖章）" line, headers
worded their way (返回时间, 联系方式, 现居住地址), columns the platform does not keep, a signature
footer. A header is matched by meaning: compared after NFKC, without whitespace, brackets and what
they hold, punctuation and a leading required mark, against the vocabulary's synonyms and patterns.
A close but unsure match is a suggestion, never a guess. When a required field has no column, or a
column holding data has a header the vocabulary does not know, the plan ``needs_mapping``: the user
chooses, for each such column, the field it fills or to skip it, and that choice is remembered for
the unit and the set of headers (its ``fingerprint``), so the same template goes straight through
next time. Every column that will not be imported is listed, never dropped in silence.

Pure: no models, no database (the caller looks remembered mappings up and stores them). The plan is
made once per file; rows are then read by index, as before.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .excel import column_letter

SKIP = ""  # a mapping's value for a column explicitly not imported
HEADER_SEARCH_ROWS = 10
SAMPLES = 3

# Brackets and what they hold: "身份证号码（18位）", "联系方式(手机)", "年龄【岁】".
_BRACKETED = re.compile(r"[(\[{<（【［〔《〈「『][^()\[\]{}<>（）【】［］〔〕《》〈〉「」『』]*[)\]}>）】］〕》〉」』]")
# Whitespace, invisible marks, punctuation of either width, required marks.
_NOISE = re.compile(
    r"[\s\u200b\u200c\u200d\u2060\ufeff*＊※#＃:：;；,，.。、/／\\|｜\-－_—–~～·・'\"“”‘’`!！?？()\[\]{}<>（）【】［］〔〕《》〈〉「」『』]+"
)
# A number of seven digits or more, also written with spaces, dashes or brackets (0439-3211234).
_DIGIT_RUN = re.compile(r"\d(?:[\d\s\-()（）]*\d)?")
_DATE = re.compile(r"\d{4}\s*-\s*\d{1,2}\s*-\s*\d{1,2}(?:\s+\d{1,2})?")


def normalize_header(value: Any) -> str:
    """A header as its meaning: NFKC, brackets with their content, punctuation and whitespace
    removed, case-folded. "*身份证号码（18位）：" and "身份证号码" compare equal."""
    text = unicodedata.normalize("NFKC", str(value))
    previous = None
    while previous != text:  # nested brackets, innermost first
        previous, text = text, _BRACKETED.sub("", text)
    stripped = _NOISE.sub("", text).casefold()
    # A header that is nothing but a bracketed word ("（备注）") keeps that word.
    return stripped or _NOISE.sub("", unicodedata.normalize("NFKC", str(value))).casefold()


def display_header(value: Any) -> str:
    return " ".join(str(value).split())


def mask_sample(value: Any) -> str:
    """A sample cell as the mapping step shows it: a number of seven digits or more (an ID number,
    a phone, also written 0439-3211234) is masked as the ledger masks them (area code and last
    four of an ID number, first three and last four of a phone), so the step opens nothing."""
    text = display_header(value if isinstance(value, str) else _cell_text(value))[:40]
    return _DIGIT_RUN.sub(_masked_number, text)


def _masked_number(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if len(digits) < 7 or _DATE.fullmatch(match.group().strip()):
        return match.group()
    keep = 6 if len(digits) >= 15 else 3
    return digits[:keep] + "*" * (len(digits) - keep - 4) + digits[-4:]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Target:
    """A field a column can fill: its key, its label (the template's header), its synonyms, and
    regular expressions for families of headers (返X时间) matched against normalised headers."""

    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    required: bool = False
    # "field": imported; "check": compared with what the platform derives (性别 against the ID
    # number), not stored.
    kind: str = "field"


@dataclass
class Vocabulary:
    """The headers one kind of list is known by: its targets, and headers known to carry nothing
    the platform keeps (序号), which are listed as not imported without asking."""

    targets: Sequence[Target]
    ignored: Iterable[str] = ()
    _exact: dict[str, str] = field(init=False, repr=False)
    _patterns: list[tuple[re.Pattern[str], str]] = field(init=False, repr=False)
    _ignored: set[str] = field(init=False, repr=False)
    _names: list[tuple[str, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._exact = {}
        self._names = []
        for target in self.targets:
            for name in (target.label, *target.synonyms):
                normal = normalize_header(name)
                self._exact.setdefault(normal, target.key)
                self._names.append((normal, target.key))
        self._patterns = [(re.compile(p), t.key) for t in self.targets for p in t.patterns]
        self._ignored = {normalize_header(name) for name in self.ignored}

    @classmethod
    def from_data(cls, data: Mapping[str, Any], labels: Mapping[str, str], required: Iterable[str] = ()) -> Vocabulary:
        """From a synonym table kept as data: {"fields": {key: [synonyms]}, "checks": {...},
        "patterns": {key: [regex]}, "ignored": [headers]}; ``labels`` gives each key its label."""
        required = set(required)
        patterns = data.get("patterns", {})
        targets = [
            Target(key, labels[key], tuple(names), tuple(patterns.get(key, ())), key in required, kind)
            for kind, group in (("field", data.get("fields", {})), ("check", data.get("checks", {})))
            for key, names in group.items()
        ]
        return cls(targets, data.get("ignored", ()))

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.targets]

    def target(self, key: str) -> Target:
        return next(t for t in self.targets if t.key == key)

    def match(self, normal: str) -> str | None:
        """The field a normalised header surely names, or None."""
        if not normal:
            return None
        key = self._exact.get(normal)
        if key is None:
            key = next((k for pattern, k in self._patterns if pattern.fullmatch(normal)), None)
        return key

    def is_ignored(self, normal: str) -> bool:
        return normal in self._ignored

    def suggest(self, normal: str, taken: Iterable[str] = ()) -> str | None:
        """A field the header probably names (never applied without the user's choice): a synonym
        inside the header or the header inside a synonym, or a close spelling."""
        if len(normal) < 2:
            return None
        taken = set(taken)
        best, score = None, 0.0
        for name, key in self._names:
            if key in taken or len(name) < 2:
                continue
            if name in normal or normal in name:
                ratio = 0.8 + 0.2 * min(len(name), len(normal)) / max(len(name), len(normal))
            else:
                ratio = difflib.SequenceMatcher(None, normal, name).ratio()
            if ratio > score:
                best, score = key, ratio
        return best if score >= 0.6 else None


# How a column was resolved.
MATCHED = "matched"  # its header is a known synonym
MAPPED = "mapped"  # the user chose (now, or remembered for this unit and header set)
IGNORED = "ignored"  # a header known to hold nothing kept (序号), or an empty column
UNKNOWN = "unknown"  # data under a header the vocabulary does not know: the user must choose
DUPLICATE = "duplicate"  # a second column for a field another column fills


@dataclass
class ColumnPlan:
    index: int
    letter: str
    header: str  # as in the file
    normal: str
    samples: list[str]
    key: str | None  # the field it fills; None: not imported
    how: str
    suggestion: str | None = None
    clash: str | None = None  # a duplicate: the letter of the column that fills its field

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "letter": self.letter, "header": self.header, "samples": self.samples,
                "key": self.key, "how": self.how, "suggestion": self.suggestion, "clash": self.clash}


@dataclass
class HeaderPlan:
    row: int  # grid index of the header row
    data_start: int  # grid index of the first data row
    columns: list[ColumnPlan]
    missing: list[str]  # required keys no column fills
    fingerprint: str
    remembered: bool = False

    @property
    def indexes(self) -> dict[str, int]:
        return {c.key: c.index for c in self.columns if c.key}

    @property
    def texts(self) -> dict[str, str]:
        return {c.key: c.header for c in self.columns if c.key}

    @property
    def unresolved(self) -> list[ColumnPlan]:
        return [c for c in self.columns if c.how in (UNKNOWN, DUPLICATE)]

    @property
    def needs_mapping(self) -> bool:
        return bool(self.missing or self.unresolved)

    @property
    def not_imported(self) -> list[ColumnPlan]:
        return [c for c in self.columns if not c.key]

    def as_dict(self) -> dict[str, Any]:
        return {"header_row": self.row + 1, "fingerprint": self.fingerprint, "missing": self.missing,
                "remembered": self.remembered, "columns": [c.as_dict() for c in self.columns]}


class MappingNeeded(Exception):
    """The file's columns cannot all be placed without the user: ``plan`` says which."""

    def __init__(self, plan: HeaderPlan, message: str = "mapping needed") -> None:
        super().__init__(message)
        self.plan = plan
        self.message = message


def refusal(plan: HeaderPlan, labels: Mapping[str, str]) -> str:
    """Why a plan needs the mapping step, in Chinese, with a suggestion per column (the command
    line prints it; the preview shows the same per column)."""
    parts = []
    if plan.missing:
        parts.append("缺少必填列：" + "、".join(labels.get(k, k) for k in plan.missing) + f"（表头在第{plan.row + 1}行）")
    by_letter = {c.letter: c for c in plan.columns}
    for column in plan.unresolved:
        hint = f"，可能是“{labels.get(column.suggestion, column.suggestion)}”" if column.suggestion else ""
        header = column.header or "（无表头）"
        if column.how == DUPLICATE and column.clash:
            first = by_letter[column.clash]
            parts.append(f"表头重复：第{first.letter}列“{first.header}”和第{column.letter}列“{header}”"
                         f"都表示“{labels.get(str(first.key), first.key)}”")
        else:
            parts.append(f"未识别的列：第{column.letter}列“{header}”{hint}")
    return "；".join(parts) + "。请选择每一列对应的字段，或选择不导入。"


def fingerprint(normals: Iterable[str], vocabulary: Vocabulary | None = None) -> str:
    """The header set of a template: its distinct normalised headers, in any order. Headers known
    to carry nothing (序号, and the reason column added to a rejected-rows file) are left out, so a
    file of rejected rows is the template it came from."""
    names = sorted({n for n in normals if n and not (vocabulary and vocabulary.is_ignored(n))})
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()[:32]


def _row_score(row: Sequence[Any], vocabulary: Vocabulary, mapping: Mapping[str, str]) -> int:
    keys = set()
    for cell in row:
        if isinstance(cell, str) and cell.strip():
            normal = normalize_header(cell)
            key = mapping.get(normal) or vocabulary.match(normal)
            if key:
                keys.add(key)
    return len(keys)


def plan_header(
    grid: Sequence[Sequence[Any]],
    vocabulary: Vocabulary,
    *,
    mapping: Mapping[str, str] | None = None,
    remembered: Callable[[str], Mapping[str, str] | None] | None = None,
    search_rows: int = HEADER_SEARCH_ROWS,
) -> HeaderPlan | None:
    """Find the header row among the first ``search_rows`` rows of ``grid`` (rows of cells) and
    place every column. ``mapping`` (normalised header -> key, or SKIP) is the user's choice now;
    ``remembered(fingerprint)`` gives an earlier one for the same header set. None: no row names a
    single known column (nor a mapped one)."""
    given = dict(mapping or {})
    scores = [_row_score(row, vocabulary, given) for row in grid[:search_rows]]
    if not scores or max(scores) == 0:
        return None
    best = scores.index(max(scores))
    header_row = list(grid[best])
    width = max((len(r) for r in grid[: best + 2]), default=0)
    header_row += [""] * (width - len(header_row))
    labels: list[tuple[str, str]] = []  # (display, normal) per column
    last = best
    for i, cell in enumerate(header_row):
        text = cell if isinstance(cell, str) and cell.strip() else ""
        normal = normalize_header(text) if text else ""
        # A header merged over two rows, or a two-level header with a group label above
        # ("联系方式" over 手机/座机): where this row's cell names nothing known, a known label in
        # the row just below or above names the column.
        if not vocabulary.match(normal) and normal not in given:
            for other in (best + 1, best - 1):
                if 0 <= other < len(grid) and i < len(grid[other]):
                    near = grid[other][i]
                    if isinstance(near, str) and near.strip() and vocabulary.match(normalize_header(near)):
                        text, normal = near, normalize_header(near)
                        last = max(last, other)
                        break
        labels.append((display_header(text), normal))
    data_start = last + 1
    print_ = fingerprint([n for _, n in labels], vocabulary)
    chosen = dict(given)
    remembered_used = False
    if remembered is not None:
        earlier = remembered(print_)
        if earlier:
            chosen = {**earlier, **given}
            remembered_used = True
    body = grid[data_start:]
    columns: list[ColumnPlan] = []
    filled: dict[str, int] = {}
    for i, (text, normal) in enumerate(labels):
        samples = [mask_sample(row[i]) for row in body if i < len(row) and not _blank(row[i])][:SAMPLES]
        has_data = bool(samples)
        column = ColumnPlan(i, column_letter(i), text, normal, samples, None, IGNORED)
        if normal in chosen or (not normal and f"#{column.letter}" in chosen):
            key = chosen.get(normal) if normal in chosen else chosen[f"#{column.letter}"]
            column.key, column.how = (key or None), MAPPED
        elif (key := vocabulary.match(normal)) is not None:
            column.key, column.how = key, MATCHED
        elif normal and vocabulary.is_ignored(normal):
            column.how = IGNORED
        elif has_data:
            column.how = UNKNOWN
        if column.key:
            if column.key in filled:
                column.clash = column_letter(filled[column.key])
                column.how, column.key = DUPLICATE, None
            else:
                filled[column.key] = i
        columns.append(column)
    for column in columns:
        if column.how in (UNKNOWN, DUPLICATE) and column.normal:
            column.suggestion = vocabulary.suggest(column.normal, taken=filled)
    missing = [t.key for t in vocabulary.targets if t.required and t.key not in filled]
    return HeaderPlan(best, data_start, columns, missing, print_, remembered_used)


def mapping_from_choices(plan: HeaderPlan | Mapping[str, Any], choices: Mapping[str, str]) -> dict[str, str]:
    """The mapping to remember, from the user's choices per column letter (key, or SKIP):
    normalised header -> key; a column without a header is known by its letter."""
    columns = plan["columns"] if isinstance(plan, Mapping) else [c.as_dict() for c in plan.columns]
    result: dict[str, str] = {}
    for column in columns:
        letter = column["letter"]
        if letter in choices:
            normal = normalize_header(column["header"]) if column["header"] else f"#{letter}"
            result[normal] = choices[letter]
    return result


def parse_map_options(values: Iterable[str]) -> dict[str, str]:
    """`--map '返回时间=return_date'` options as a mapping (normalised header -> key; an empty key
    or `skip` skips the column)."""
    result: dict[str, str] = {}
    for value in values:
        header, sep, key = value.partition("=")
        if not sep or not header.strip():
            raise ValueError(value)
        key = key.strip()
        result[normalize_header(header)] = "" if key in ("", "skip", "-") else key
    return result
