"""Work one step ahead in a second thread: the next item of an iterable is produced while the
caller handles the current one.

Worth it where producing an item mostly waits outside Python (a database sending the next
rows, zlib) or where the caller mostly waits (on the database writing what it was given): the
two overlap on two cores instead of taking turns.
"""

import itertools
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def ahead(items: Iterable[T], *, first_here: bool = False) -> Iterator[T]:
    """The items of ``items`` in order, each next one taken in a worker thread while the caller
    works on the one it was given; an exception from the iterable reaches the caller at the item
    it would have had.

    With ``first_here`` the first item is taken in the calling thread: a queryset iterator then
    runs its query on the caller's database connection (Django's connections belong to threads),
    and the worker thread only fetches further rows through the cursor it opened. When the caller
    stops early, the worker's step in progress ends before this generator does, so nothing uses
    the iterable afterwards.
    """
    iterator = iter(items)
    if first_here:
        try:
            first = next(iterator)
        except StopIteration:
            return
        iterator = itertools.chain([first], iterator)
    done = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ahead") as pool:
        pending = pool.submit(next, iterator, done)
        while (item := pending.result()) is not done:
            pending = pool.submit(next, iterator, done)
            yield item  # type: ignore[misc]


def blocks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last may be shorter)."""
    iterator = iter(items)
    while block := list(itertools.islice(iterator, size)):
        yield block
