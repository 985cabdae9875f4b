"""A stand-in for the ledger parser child, for tests: the real child's hand-over (worker.main) with
rows that stop after the first batch until a gate file appears next to the ledger (or 20 s pass).
For a ledger named *.forged.csv it writes, after its first batch, a record that is not a grid.

Run as `python -m tests.returnees.gated_parser` in place of `fangkong.returnees.ledger.worker`.
"""

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fangkong.returnees.ledger import worker


def rows(gate: Path) -> Iterator[list[str]]:
    yield ["姓名"]
    for i in range(worker.BATCH_ROWS - 1):
        yield [f"先{i}"]
    deadline = time.monotonic() + 20
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    for _ in range(5):
        yield ["后" if gate.exists() else "超时"]


def forge_second_batch() -> None:
    """The first batch as it is, then a batch holding an object of a class the reader must refuse."""
    encode = worker._encode
    calls = []

    def forged(rows: list[list[Any]], width: int) -> list[tuple[str, Any]]:
        calls.append(1)
        return encode(rows, width) if len(calls) == 1 else [("l", [Path("/")] * len(rows))]

    worker._encode = forged  # type: ignore[assignment]


if __name__ == "__main__":
    if sys.argv[1].endswith(".forged.csv"):
        forge_second_batch()
        Path(sys.argv[1] + ".gate").touch()
    worker._read_csv = lambda path, encoding, delimiter: rows(Path(path + ".gate"))  # type: ignore[assignment]
    sys.exit(worker.main(sys.argv[1:]))
