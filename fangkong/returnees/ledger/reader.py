"""read_ledger: an uploaded ledger file in, validated rows and every problem out (nothing is written)."""

import contextlib
import hashlib
import itertools
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import NOT_ISOLATED, check_rows
from .columns import (
    FIELD_BY_KEY,
    FIELDS,
    HEADER_SEARCH_ROWS,
    REQUIRED,
    SAMPLE_ROWS,
    SIDES,
    HeaderPlan,
    find_header,
)
from .problems import ProblemList
from .sniff import LedgerFileError, Limits, sniff
from .values import EMPTY, cell_text, normalizers
from .worker import read_batches

__all__ = ["CellError", "LedgerBatch", "LedgerFileError", "LedgerStream", "ParsedLedger", "open_ledger", "read_ledger"]


@dataclass(frozen=True)
class CellError:
    row: int  # 1-based row number as Excel shows it
    column: str  # the column's header text as in the file ('' for whole-row errors)
    value: str  # the offending value as text (truncated to 100 chars)
    reason: str  # Chinese reason


@dataclass
class ParsedLedger:
    rows: list[dict[str, Any]]  # "row" (Excel row number) + every field key, normalised (None where invalid)
    errors: list[CellError]  # the first Limits.max_problems problems
    columns: dict[str, str]  # field key -> header text found
    file_type: str  # "xlsx" | "xls" | "ods" | "csv"
    sha256: str
    error_count: int = 0  # problems found; past the limit, reading stopped (and `message` says so)
    message: str = ""


@dataclass
class LedgerBatch:
    rows: list[dict[str, Any]]  # as ParsedLedger.rows, for one batch of the file's rows
    errors: list[CellError]  # the batch's first problems in row and column order (at most the limit + 1)
    more: int = 0  # how many more problems the batch has, counted but not made
    warnings: list[CellError] = field(default_factory=list)  # checked columns that disagree (not problems)
    # (ID number, row) of people the ledger says are not isolated though they must be (for the community)
    not_isolated: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class LedgerStream:
    """An opened ledger: its columns, type and digest, and its rows in validated batches (iterate once)."""

    batches: Iterator[LedgerBatch]
    columns: dict[str, str]
    file_type: str
    sha256: str
    plan: HeaderPlan | None = None  # every column of the file and how it was placed


def read_ledger(
    path: str | Path, *, side: str, limits: Limits | None = None, default_year: int = 2020,
    mapping: Mapping[str, str] | None = None, strict: bool = False,
) -> ParsedLedger:
    """Read a unit-side or community-side ledger; raise LedgerFileError when the file itself is unusable.

    Rows with problems are kept (their bad values are None) and each problem is listed, so the caller
    can show a full preview, up to Limits.max_problems: past that, reading stops. `default_year`
    completes dates written without a year ("2月10日").
    """
    limits = limits or Limits.from_settings()
    rows: list[dict[str, Any]] = []
    problems: ProblemList[CellError] = ProblemList(limits.max_problems)
    with open_ledger(path, side=side, limits=limits, default_year=default_year, mapping=mapping,
                     strict=strict) as stream:
        for batch in stream.batches:
            rows.extend(batch.rows)
            problems.add(batch.errors, count=len(batch.errors) + batch.more)
            if problems.full:
                break
    return ParsedLedger(rows, problems.kept, stream.columns, stream.file_type, stream.sha256, problems.count,
                        problems.message)


@contextlib.contextmanager
def open_ledger(
    path: str | Path, *, side: str, limits: Limits | None = None, default_year: int = 2020,
    mapping: Mapping[str, str] | None = None, remembered: Callable[[str], Mapping[str, str] | None] | None = None,
    strict: bool = False,
) -> Iterator[LedgerStream]:
    """read_ledger one batch at a time, for files too big to hold as rows all at once.

    Every file-level problem (LedgerFileError) is raised on entering; within the file, a duplicate
    ID number is found across batches as well. Each batch makes at most Limits.max_problems + 1 of
    its problems (the first, in row and column order) and counts the rest: a caller that stops
    past the limit never holds more than that. Leaving the block early stops the parsing child.

    The columns are placed once (columns.find_header: synonyms, the user's ``mapping``, one
    ``remembered`` for the header set); MappingNeeded when the user must choose. Checked columns
    (性别, 年龄, 出生日期, 是否居家隔离) give warnings, problems when ``strict``.
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, not {side!r}")
    path = Path(path)
    limits = limits or Limits.from_settings()
    sniffed = sniff(path, limits)
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    with read_batches(path, sniffed, limits, header_rows=HEADER_SEARCH_ROWS) as grid:
        first = next(grid)
        nrows = len(first[0]) if first else 0
        head = [[column[i] for column in first] for i in range(min(HEADER_SEARCH_ROWS + SAMPLE_ROWS, nrows))]
        header = find_header(head, side, mapping=mapping, remembered=remembered)
        budget = limits.max_problems + 1
        indexes = {key: i for key, i in header.indexes.items() if key in FIELD_BY_KEY}
        checks = {key: i for key, i in header.indexes.items() if key not in FIELD_BY_KEY}
        texts = header.texts

        def batches() -> Iterator[LedgerBatch]:
            seen: dict[str, int] = {}
            start = header.data_start
            data = [column[header.data_start :] for column in first]
            offset = nrows
            while True:
                if data and data[0]:
                    rows, errors, count = _validate(data, start, indexes, texts, side, default_year, seen, budget)
                    warnings: list[CellError] = []
                    not_isolated: list[tuple[str, int]] = []
                    if checks:
                        warnings = [CellError(*w) for w in check_rows(rows, data, start, checks, texts, default_year)]
                        if any(w.reason == NOT_ISOLATED for w in warnings):
                            by_row = {r["row"]: r.get("id_number") for r in rows}
                            not_isolated = [(str(by_row[w.row]), w.row) for w in warnings
                                            if w.reason == NOT_ISOLATED and by_row.get(w.row)]
                        if strict:
                            errors = sorted(errors + warnings, key=lambda e: e.row)[:budget]
                            count += len(warnings)
                            warnings = []
                    yield LedgerBatch(rows, errors, count - len(errors), warnings, not_isolated)
                batch = next(grid, None)
                if batch is None:
                    return
                data, start = batch, offset
                offset += len(batch[0]) if batch else 0

        yield LedgerStream(batches(), dict(texts), sniffed.file_type, digest, header)


_second = operator.itemgetter(1)
_FOOTER = re.compile(r"签字|签名|盖章|负责人|填报人|填表人|审核人|制表人|合计|总计|填报日期|填报时间")


def _footer(data: list[list[Any]], i: int, name: Any) -> bool:
    """Whether row ``i`` (which has no ID number) is a signature or total line: some cell says so,
    and its name cell is empty or says so too. A person's row without an ID number stays a row
    (with its problem), whatever its notes say."""
    if not (_blank(name) or (name.__class__ is str and _FOOTER.search(name))):
        return False
    return any(cell.__class__ is str and _FOOTER.search(cell) is not None for cell in (column[i] for column in data))


def _blank(cell: Any) -> bool:
    return cell is None or (cell.__class__ is str and (not cell or cell.isspace()))


def _row(
    row: int,
    name: Any,
    id_number: Any,
    phone: Any,
    employer: Any,
    community: Any,
    address: Any,
    category: Any,
    origin: Any,
    transport: Any,
    return_date: Any,
    line: Any,
    notes: Any,
) -> dict[str, Any]:
    # Spelled out rather than dict(zip(...)): a third of the time for 100,000 rows.
    return {
        "row": row,
        "name": name,
        "id_number": id_number,
        "phone": phone,
        "employer": employer,
        "community": community,
        "address": address,
        "category": category,
        "origin": origin,
        "transport": transport,
        "return_date": return_date,
        "line": line,
        "notes": notes,
    }


def _validate(
    data: list[list[Any]],
    start: int,
    indexes: dict[str, int],
    texts: dict[str, str],
    side: str,
    default_year: int,
    seen: dict[str, int],
    budget: int | None = None,
) -> tuple[list[dict[str, Any]], list[CellError], int]:
    """Validate column by column: each distinct value of a column is normalised once.

    Ledgers repeat their communities, units, categories and dates, so this is what keeps a
    100,000-row file to a fraction of a second here. `seen` holds the ID numbers of earlier batches
    (and gets this batch's), with the row each was first seen in. Returns the rows, the first
    `budget` problems in row and column order (all without a budget) and how many there are: a
    batch of hostile rows makes a bounded number of CellErrors, whatever it holds.
    """
    norms = normalizers(default_year)
    required = REQUIRED[side]
    keys = [f.key for f in FIELDS if f.key in indexes]
    n = len(data[0]) if data else 0
    raws: list[list[Any]] = []
    values: list[list[Any]] = []
    blanks: list[set[Any]] = []
    reasons: list[dict[Any, str]] = []
    for key in keys:
        raw = data[indexes[key]]
        kinds = set(map(type, raw))
        if bool in kinds:
            # True == 1 == 1.0 would share one dict slot: key these cells by type as well.
            raw = list(zip(map(type, raw), raw, strict=True))
        unique = set(raw)
        if kinds <= {str} and "" not in unique and not any(map(str.isspace, unique)):
            blank: set[Any] = set()
            distinct = cells = list(unique)
        else:
            distinct = list(unique)
            cells = list(map(_second, distinct)) if bool in kinds else distinct
            flags = list(map(_blank, cells))
            blank = set(itertools.compress(distinct, flags))
            keep_flags = [not flag for flag in flags]
            distinct, cells = (
                list(itertools.compress(distinct, keep_flags)),
                list(itertools.compress(cells, keep_flags)),
            )
        normalised, problems = norms[key](cells)
        memo = dict(zip(distinct, normalised, strict=True))
        memo.update(dict.fromkeys(blank, EMPTY.get(key, "")))
        bad = {v: r for v, r in zip(distinct, problems, strict=True) if r} if any(problems) else {}
        raws.append(raw)
        values.append(list(map(memo.__getitem__, raw)))
        blanks.append(blank)
        reasons.append(bad)

    # Fully empty rows are skipped; one column without blanks means there are none.
    if not data or any(not blank for blank in blanks):
        keep: Sequence[int] = range(n)
    else:
        pairs = list(zip(raws, blanks, strict=True))
        keep = [i for i in range(n) if any(raw[i] not in blank for raw, blank in pairs)]
    # A signature or total line under the data ("单位负责人（签字）：", "合计") has no ID number:
    # only rows without one are looked at, so a ledger without such lines pays nothing.
    id_blank = blanks[keys.index("id_number")]
    if id_blank:
        id_raw = raws[keys.index("id_number")]
        name_raw = raws[keys.index("name")]
        footers = {i for i in keep if id_raw[i] in id_blank and _footer(data, i, name_raw[i])}
        if footers:
            keep = [i for i in keep if i not in footers]

    # Each problem is first a position (row index, column position); only the first `budget` of
    # them, in row and column order, become CellErrors. Those are among each column's first `budget`.
    limit = budget if budget is not None else n * (len(keys) + 1)
    candidates: list[tuple[int, int]] = []
    count = 0
    for pos, key in enumerate(keys):
        raw, blank, bad = raws[pos], blanks[pos], reasons[pos]
        flagged = bad.keys() | blank if key in required and blank else bad.keys()
        if not flagged:
            continue
        hits = [i for i in keep if raw[i] in flagged]
        count += len(hits)
        candidates.extend((i, pos) for i in hits[:limit])

    id_pos = keys.index("id_number")
    numbers = [values[id_pos][i] for i in keep]
    present = [number for number in numbers if number]
    duplicates: dict[int, int] = {}  # row index -> the row its ID number was first seen in
    if len(set(present)) == len(present) and seen.keys().isdisjoint(present):
        seen.update((number, start + i + 1) for i, number in zip(keep, numbers, strict=True) if number)
    else:
        found = 0
        for i, number in zip(keep, numbers, strict=True):
            if number:
                first = seen.setdefault(number, start + i + 1)
                if first != start + i + 1:
                    found += 1
                    if found <= limit:
                        duplicates[i] = first
                        candidates.append((i, id_pos))
        count += found
    candidates.sort()

    errors: list[CellError] = []
    for i, pos in candidates[:limit]:
        key, raw = keys[pos], raws[pos]
        row, header, v = start + i + 1, texts[key], raw[i]
        if pos == id_pos and i in duplicates:
            reason = f"与第{duplicates[i]}行的身份证号重复（同一人在文件中出现两次）"
            errors.append(CellError(row, texts["id_number"], values[id_pos][i], reason))
        elif v in reasons[pos]:
            cell = v[1] if isinstance(v, tuple) else v
            errors.append(CellError(row, header, cell_text(cell)[:100], reasons[pos][v]))
        else:  # blank in a required column
            errors.append(CellError(row, header, "", f"“{FIELD_BY_KEY[key].header}”不能为空"))

    by_key = dict(zip(keys, values, strict=True))
    if not isinstance(keep, range):
        by_key = {key: [column[i] for i in keep] for key, column in by_key.items()}
    row_numbers = [start + i + 1 for i in keep]
    fields = [by_key.get(f.key) or itertools.repeat(EMPTY.get(f.key, "")) for f in FIELDS]
    rows = list(map(_row, row_numbers, *fields))
    return rows, errors, count
