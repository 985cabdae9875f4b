"""The problems of an upload, bounded: the first ones are kept, the rest only counted, and past the
limit the caller stops reading the file.

Without a bound a file of two million bad rows kept four million problems in memory to show the
first two thousand. Every upload that reads a file with the ledger's machinery (ledgers,
secondment lists, pass lists) collects its problems here, with the limit of
`Limits.max_problems` (setting FANGKONG_IMPORT_MAX_PROBLEMS).
"""

from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

TOO_MANY = "问题超过{limit}处，已停止检查；请先修正以上问题再上传。"


class ProblemList(Generic[T]):
    """The first `limit` problems in file order, and how many were found.

    Callers add problems in file order (batch after batch, each batch's in row and column order),
    so the kept ones are the file's first. Once more than `limit` are found the list is `full`: the
    caller stops reading, and `message` says so.
    """

    def __init__(self, limit: int) -> None:
        self.limit = max(int(limit), 1)
        self.kept: list[T] = []
        self.count = 0

    def add(self, problems: Sequence[T], *, count: int | None = None) -> None:
        """Add problems in file order; `count` is how many there were when only the first are given."""
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept.extend(problems[:room])
        self.count += max(count or 0, len(problems))

    @property
    def full(self) -> bool:
        """More problems than the limit have been found: checking the rest of the file stops."""
        return self.count > self.limit

    @property
    def room(self) -> int:
        """How many more problems are worth producing: those that would be kept, and one more to
        learn that the limit was passed."""
        return max(self.limit - len(self.kept), 0) + 1

    @property
    def message(self) -> str:
        return TOO_MANY.format(limit=self.limit) if self.full else ""

    def __len__(self) -> int:
        return self.count
