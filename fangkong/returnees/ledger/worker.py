"""Read a ledger's cell grid in a child process with memory and CPU limits.

A hostile or merely huge workbook can make any parser allocate without bound (calamine builds a
dense grid from the first to the last used cell, so one value at XFD1048576 asks for 550 GB). The
child runs `python -m fangkong.returnees.ledger.worker` under RLIMIT_AS and RLIMIT_CPU, the parent
adds a wall-clock timeout, and whatever happens to the child the caller gets a LedgerFileError.

The child only reads cells; it does not validate them. It keeps the first visible worksheet, cut to
the columns that have something in the header search rows (a value far to the right has no header
and would be ignored anyway). Hidden rows and columns cannot be seen through calamine: they are read
like visible ones. The grid goes back batch by batch, each pickled into a temporary file as soon as it
is made and loaded with an unpickler that accepts nothing but plain values and dates. A batch holds
at most BATCH_ROWS rows and about BATCH_CHARS characters, so what the parent holds of a batch is
bounded whatever the cells hold.
"""

import array
import contextlib
import csv
import datetime as dt
import io
import itertools
import logging
import os
import pickle
import re
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, NoReturn

from .sniff import CORRUPT, ENCRYPTED, LedgerFileError, Limits, Sniffed, sniff

logger = logging.getLogger(__name__)

MODULE = "fangkong.returnees.ledger.worker"
ROOT = Path(__file__).resolve().parents[3]  # the directory holding the fangkong package
TOO_COMPLEX = (
    "文件过大或过于复杂，无法解析。请删除多余的工作表、行、列和格式后另存为xlsx，或拆分成几个文件再上传。"
)
TIMED_OUT = "文件过大或过于复杂，无法解析（解析超时）。请拆分成几个文件后再上传。"
NO_SHEET = "文件中没有可见的工作表。"
XML_ERROR = "文件内容已损坏或含有不安全的XML结构，无法解析。请用Excel打开后另存为xlsx，再上传。"
RANGE_TOO_BIG = (
    "表格的使用范围过大（{ref}，约{cells}个单元格），通常是远处的单元格里有内容或格式。"
    "请删除数据区域以外的行和列（或把数据复制到一个新表格）后重新上传。"
)
CSV_ENCODING = (
    "文件的文字编码前后不一致，无法按{encoding}读取。请用Excel打开后另存为“CSV UTF-8”或xlsx，再上传。"
)
CSV_ERROR = "CSV文件格式错误：{detail}。请用Excel打开后另存为xlsx，再上传。"

# A column made only of text travels as one joined string, a date column as an array of day numbers:
# far cheaper to pickle and unpickle than 100,000 objects.
SEPARATOR = "\x00"
# Rows per batch: what the child transposes and the parent validates and writes at a time (the
# parent validates the next batch while the database writes this one).
BATCH_ROWS = 20_000
# Characters of cell text per batch, at most: a batch of cells of 32,000 characters is cut into
# fewer rows, so that what the parent holds of one batch stays in the tens of megabytes whatever
# the cells hold (20,000 rows of an ordinary ledger are 1.5 to 3 million characters).
BATCH_CHARS = 4_000_000
# Columns read, at most: no list the platform reads has a hundred, and a header row reaching
# column XFD would make every row of the batch that wide.
MAX_COLUMNS = 256
# Exit status of a child that ran out of memory in Python code (rather than being killed).
EXIT_MEMORY = 3
# calamine holds a dense grid of 32-byte cells and to_python adds an 8-byte reference per cell.
BYTES_PER_CELL = 64


@contextlib.contextmanager
def read_batches(path: Path, sniffed: Sniffed, limits: Limits, *, header_rows: int) -> Iterator[Iterator[list[list[Any]]]]:
    """Yield an iterator over the first visible sheet in batches of rows, each batch column by
    column (all columns of equal length; the first batch starts at the sheet's first row).

    Values are str, float (every number), int, bool, date/datetime, time or timedelta; empty cells are "".
    The batches arrive while the child is still reading the file: the caller works on the first
    while the child makes the next. A problem the child finds later in the file (or the child
    failing) raises LedgerFileError from the iterator, at the batch it would have given. Batches
    go through a temporary file, one at a time, so a million rows never sit in memory at once and
    the child never waits for the caller.
    """
    with tempfile.TemporaryDirectory(prefix="fangkong-ledger-") as tmp:
        out = Path(tmp) / "grid.pickle"
        cmd = [
            sys.executable,
            "-m",
            MODULE,
            str(path),
            sniffed.file_type,
            sniffed.encoding or "",
            sniffed.delimiter,
            str(out),
            str(limits.memory_bytes),
            str(limits.cpu_seconds),
            str(header_rows),
            str(BATCH_CHARS),
        ]
        # A bare environment: a parser that a hostile file might subvert gets no secrets from ours.
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
            "LANG": "C.UTF-8",
            "RUST_BACKTRACE": "0",
        }
        with (Path(tmp) / "stderr").open("w+b") as stderr:
            child = _Child(cmd, env, stderr, limits.timeout_seconds)
            try:
                child.wait_record()
                with out.open("rb") as fh:
                    status, payload = _load(fh)
                    if status != "ok":
                        raise LedgerFileError(str(payload))
                    yield _batches(fh, payload, child)
            finally:
                child.stop()


class _Child:
    """The parsing child: it writes each record to the grid file, then one byte to its standard
    output, so a record is read only once it is whole. Killed at the wall-clock limit."""

    def __init__(self, cmd: list[str], env: dict[str, str], stderr: IO[bytes], timeout: float) -> None:
        self.stderr = stderr
        self.timed_out = False
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, env=env)
        self.timer = threading.Timer(timeout, self._expire)
        self.timer.daemon = True
        self.timer.start()

    def _expire(self) -> None:
        if self.proc.poll() is None:
            self.timed_out = True
            self.proc.kill()

    def wait_record(self) -> None:
        """Return once the next record is whole; raise LedgerFileError if the child ended without it."""
        assert self.proc.stdout is not None
        if not self.proc.stdout.read(1):
            self.fail()

    def finish(self) -> None:
        """After the last record: the child must end well."""
        if self.proc.wait() != 0:
            self.fail()

    def fail(self) -> NoReturn:
        code = self.proc.wait()
        self.stderr.seek(0)
        logger.warning("ledger parser exited with %s: %s", code, self.stderr.read()[-2000:].decode("utf-8", "replace"))
        if self.timed_out:
            raise LedgerFileError(TIMED_OUT)
        if code < 0 or code == EXIT_MEMORY:
            raise LedgerFileError(TOO_COMPLEX)
        raise LedgerFileError(CORRUPT)

    def stop(self) -> None:
        self.timer.cancel()
        if self.proc.poll() is None:  # the caller stopped early, or failed
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _batches(fh: IO[bytes], first: Any, child: _Child) -> Iterator[list[list[Any]]]:
    payload = first
    while True:
        yield [_decode(kind, value) for kind, value in payload]
        child.wait_record()
        payload = _load(fh)
        if payload is None:
            child.finish()
            return
        if isinstance(payload, tuple):  # ("error", reason): a problem found further on in the file
            raise LedgerFileError(str(payload[1]))


def _load(fh: IO[bytes]) -> Any:
    """The next record (each was pickled on its own, with its own memo); a record that is not a
    plain grid means the child was subverted or broken: the file is refused as corrupt (and the
    child stopped by read_batches on its way out)."""
    try:
        return _ValuesUnpickler(fh).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError):
        logger.warning("ledger parser wrote a record that is not a grid")
        raise LedgerFileError(CORRUPT) from None


def read_columns(path: Path, sniffed: Sniffed, limits: Limits, *, header_rows: int) -> list[list[Any]]:
    """The whole first visible sheet column by column (see read_batches)."""
    with read_batches(path, sniffed, limits, header_rows=header_rows) as batches:
        columns: list[list[Any]] = []
        for batch in batches:
            if not columns:
                columns = batch
            else:
                for column, part in zip(columns, batch, strict=True):
                    column.extend(part)
    return columns


TOO_MANY_ROWS = "文件超过{limit}行，请拆分成几个文件后分批上传。"


@contextlib.contextmanager
def read_rows(path: Path, limits: Limits, *, header_rows: int, max_rows: int) -> Iterator[Iterator[tuple[int, tuple[Any, ...]]]]:
    """The first visible sheet row by row, as (grid index, cells), for lists read whole (secondments,
    passes): the file's type is sniffed first, and a sheet with more than ``max_rows`` rows that
    are not blank is refused (LedgerFileError) as soon as the reader gets there, so the caller
    never holds more than that many rows. Leaving the block early stops the parsing child.
    """
    sniffed = sniff(path, limits)
    with read_batches(path, sniffed, limits, header_rows=header_rows) as batches:

        def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
            index = filled = 0
            for batch in batches:
                for row in zip(*batch, strict=True):
                    if any(cell != "" and cell is not None for cell in row):
                        filled += 1
                        if filled > max_rows:
                            raise LedgerFileError(TOO_MANY_ROWS.format(limit=max_rows))
                    yield index, row
                    index += 1

        yield rows()


def _decode(kind: str, value: Any) -> list[Any]:
    if kind == "s":
        return value.split(SEPARATOR)  # type: ignore[no-any-return]
    if kind == "d":
        packed, others = value
        days = array.array("i")
        days.frombytes(packed)
        fromordinal = dt.date.fromordinal
        column: list[Any] = [fromordinal(day) if day else "" for day in days]
        for i, other in others.items():
            column[i] = other
        return column
    return list(value)


class _ValuesUnpickler(pickle.Unpickler):
    """Builtins come back without find_class; the date types are the only classes allowed."""

    ALLOWED = {
        ("datetime", "date"),
        ("datetime", "datetime"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a ledger grid")


# --- the child --------------------------------------------------------------------------------


class _Refused(Exception):
    pass


def _apply_limits(memory_bytes: int, cpu_seconds: int) -> None:
    import resource

    def cap(which: int, soft: int, hard: int) -> None:
        current_hard = resource.getrlimit(which)[1]
        if current_hard != resource.RLIM_INFINITY:  # an unprivileged process cannot raise a hard limit
            soft, hard = min(soft, current_hard), min(hard, current_hard)
        resource.setrlimit(which, (soft, hard))

    cap(resource.RLIMIT_AS, memory_bytes, memory_bytes)
    # SIGXCPU at the soft limit, SIGKILL one second later if it is ignored.
    cap(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)


def _read_spreadsheet(path: str, file_type: str, memory_bytes: int) -> Iterable[list[Any]]:
    import python_calamine as pc

    try:
        with pc.CalamineWorkbook.from_path(path) as book:
            index = next(
                (
                    i
                    for i, meta in enumerate(book.sheets_metadata)
                    if meta.visible == pc.SheetVisibleEnum.Visible and meta.typ == pc.SheetTypeEnum.WorkSheet
                ),
                None,
            )
            if index is None:
                raise _Refused(NO_SHEET)
            if file_type == "xlsx":
                _check_xlsx_dimension(path, index, memory_bytes)
            sheet = book.get_sheet_by_index(index)
            # Row i of the iteration is Excel row i + 1 (as with to_python(skip_empty_area=False)),
            # made into Python values one row at a time.
            return sheet.iter_rows()  # type: ignore[no-any-return]
    except pc.PasswordError:
        raise _Refused(ENCRYPTED) from None
    except pc.XmlError:
        raise _Refused(XML_ERROR) from None
    except (pc.ZipError, pc.CalamineError, pc.WorksheetNotFound):
        raise _Refused(CORRUPT) from None


_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?\""
)


def _check_xlsx_dimension(path: str, index: int, memory_bytes: int) -> None:
    """Refuse, with a useful message, a sheet whose declared used range would not fit in memory."""
    from defusedxml import DefusedXmlException

    try:
        head = _sheet_head(path, index)
    except DefusedXmlException:
        raise _Refused(XML_ERROR) from None
    except (KeyError, ValueError, SyntaxError, zipfile.BadZipFile):
        return  # calamine decides whether the file is readable at all
    match = _DIMENSION.search(head)
    if not match:
        return
    last_col, last_row = (
        (match.group(3), match.group(4)) if match.group(3) else (match.group(1), match.group(2))
    )
    cells = _column_number(last_col.decode()) * int(last_row)
    if cells * BYTES_PER_CELL > memory_bytes:
        ref = match.group(0).split(b'"')[1].decode()
        raise _Refused(RANGE_TOO_BIG.format(ref=ref, cells=cells))


def _sheet_head(path: str, index: int) -> bytes:
    """The first 64 KB of the index-th sheet's XML, found through the workbook and its relationships."""
    from defusedxml import ElementTree

    with zipfile.ZipFile(path) as zf:
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        sheets = [el for el in workbook.iter() if el.tag.rsplit("}", 1)[-1] == "sheet"]
        if index >= len(sheets):
            return b""
        rel_id = next((v for k, v in sheets[index].attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = next((el.get("Target", "") for el in rels.iter() if el.get("Id") == rel_id), "")
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        if not target or part not in zf.namelist():
            return b""
        with zf.open(part) as fh:
            return fh.read(64 * 1024)


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _read_csv(path: str, encoding: str, delimiter: str) -> Iterator[list[Any]]:
    try:
        with open(path, encoding=encoding, newline="") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise _Refused(CSV_ENCODING.format(encoding=encoding.upper().replace("-SIG", ""))) from None
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise _Refused(CSV_ERROR.format(detail=exc)) from None


def _write_batches(
    emit: Callable[[Any], None], rows: Iterable[list[Any]], header_rows: int, batch_chars: int = BATCH_CHARS
) -> None:
    """Emit the grid in batches of BATCH_ROWS rows: ("ok", first batch), the other batches, None.

    Only the columns that have a value somewhere in the header search rows are kept. A batch
    whose cells hold more than ``batch_chars`` characters goes as several smaller ones (the first
    keeps the header search rows together).
    """
    iterator = iter(rows)
    head = list(itertools.islice(iterator, header_rows))
    width = _width(head)
    batch = head + list(itertools.islice(iterator, BATCH_ROWS - len(head)))
    first = True
    while batch:
        for part in _parts(batch, width, batch_chars, header_rows if first else 1):
            emit(("ok", part) if first else part)
            first = False
        batch = list(itertools.islice(iterator, BATCH_ROWS))
    if first:  # an empty sheet still says "ok"
        emit(("ok", _encode([], width)))
    emit(None)


def _parts(rows: list[list[Any]], width: int, batch_chars: int, keep: int) -> Iterator[list[tuple[str, Any]]]:
    """The rows encoded, cut into parts of at most ``batch_chars`` characters of text each (a part
    of ``keep`` rows or one row may hold more: a row is never split)."""
    encoded = _encode(rows, width)
    size = _chars(encoded)
    if size <= batch_chars or len(rows) <= keep:
        yield encoded
        return
    del encoded
    # Parts of about batch_chars each, assuming the text is spread evenly; a part that is still
    # too big is cut again.
    step = max(keep, len(rows) * batch_chars // size, 1)
    yield from _parts(rows[:step], width, batch_chars, keep)
    for start in range(step, len(rows), step):
        yield from _parts(rows[start : start + step], width, batch_chars, 1)


def _chars(encoded: list[tuple[str, Any]]) -> int:
    """Characters of text in an encoded batch (a number or date counts as a few)."""
    total = 0
    for kind, value in encoded:
        if kind == "s":
            total += len(value)
        elif kind == "d":
            total += len(value[0]) + sum(len(v) if v.__class__ is str else 8 for v in value[1].values())
        else:
            total += sum(len(v) if v.__class__ is str else 8 for v in value)
    return total


def _width(head: list[list[Any]]) -> int:
    """How many columns have a value somewhere in the header search rows (MAX_COLUMNS at most)."""
    width = 0
    for row in head:
        for i in range(min(len(row), MAX_COLUMNS) - 1, width - 1, -1):
            value = row[i]
            if value != "" and value is not None:
                width = i + 1
                break
    return width


def _columns(rows: list[list[Any]], header_rows: int) -> list[tuple[str, Any]]:
    """Transpose, keeping only the columns that have a value somewhere in the header search rows."""
    return _encode(rows, _width(rows[:header_rows]))


def _encode(rows: list[list[Any]], width: int) -> list[tuple[str, Any]]:
    """Transpose rows cut (or padded) to width."""
    if any(len(row) != width for row in rows):  # csv rows are ragged; a far-away cell has no header
        rows = [row[:width] if len(row) >= width else [*row, *([""] * (width - len(row)))] for row in rows]
    encoded: list[tuple[str, Any]] = []
    for column in zip(*rows, strict=False) if rows else [() for _ in range(width)]:
        try:
            joined = SEPARATOR.join(column)
        except TypeError:  # not all text
            if dt.date in set(map(type, column)):
                # Dates travel as day numbers (0 for anything else); the header and any other
                # non-empty cell that is not a date go alongside, by position.
                days = array.array("i", [v.toordinal() if v.__class__ is dt.date else 0 for v in column])
                others = {i: v for i, v in enumerate(column) if v.__class__ is not dt.date and v != ""}
                encoded.append(("d", (days.tobytes(), others)))
            else:
                encoded.append(("l", list(column)))
            continue
        if joined.count(SEPARATOR) == len(column) - 1:
            encoded.append(("s", joined))
        else:
            encoded.append(("l", list(column)))
    return encoded


def main(argv: list[str]) -> int:
    path, file_type, encoding, delimiter, out, memory, cpu, header_rows, batch_chars = argv
    # Load the parser's code before the memory limit, so that a tight limit fails the parse, not the import.
    import defusedxml.ElementTree  # noqa: F401
    import python_calamine  # noqa: F401

    # Standard output carries one byte per whole record; anything else printed goes to stderr.
    notify = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    _apply_limits(int(memory), int(cpu))
    with open(out, "wb") as fh:

        def emit(record: Any) -> None:
            # Pickled whole before a byte is written: running out of memory midway leaves no half record.
            fh.write(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
            fh.flush()
            notify.write(b".")

        error: str | None = None
        try:
            rows: Iterable[list[Any]]
            if file_type == "csv":
                rows = _read_csv(path, encoding, delimiter)
            else:
                rows = _read_spreadsheet(path, file_type, int(memory))
            _write_batches(emit, rows, int(header_rows), int(batch_chars))
        except _Refused as exc:
            error = str(exc)
        except MemoryError:
            return EXIT_MEMORY
        except BaseException as exc:
            # A Rust panic surfaces as pyo3's PanicException (a BaseException); under RLIMIT_AS most are
            # failed allocations, the others are the parser giving up on a malformed file.
            if type(exc).__name__ != "PanicException":
                raise
            if any(word in str(exc).lower() for word in ("mem", "alloc", "capacity")):
                return EXIT_MEMORY
            error = CORRUPT
        if error is not None:
            # After the batches already written, if any: the reader raises it where it meets it.
            try:
                emit(("error", error))
            except MemoryError:
                return EXIT_MEMORY
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
