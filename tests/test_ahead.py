"""Working one step ahead in a second thread (fangkong.core.ahead): items arrive in order, the
next one is made while the caller works, errors reach the caller where they happened, and a
caller that stops early leaves nothing running."""

import threading
import time

import pytest

from fangkong.core.ahead import ahead, blocks


def test_items_arrive_in_order_and_the_next_is_made_while_the_caller_works():
    made: list[tuple[int, str]] = []
    handled = []

    def items():
        for i in range(4):
            made.append((i, threading.current_thread().name))
            yield i

    for item in ahead(items()):
        # The next item is being made in the other thread: wait for it before returning.
        deadline = time.monotonic() + 5
        while item < 3 and len(made) < item + 2 and time.monotonic() < deadline:
            time.sleep(0.001)
        handled.append((item, len(made)))
    assert [item for item, _ in handled] == [0, 1, 2, 3]
    assert [count for _, count in handled] == [2, 3, 4, 4]
    assert all(name != threading.current_thread().name for _, name in made)


def test_first_here_takes_the_first_item_in_the_calling_thread():
    names = []

    def items():
        for i in range(3):
            names.append(threading.current_thread().name)
            yield i

    assert list(ahead(items(), first_here=True)) == [0, 1, 2]
    here = threading.current_thread().name
    assert names[0] == here and here not in names[1:]
    assert list(ahead(iter([]), first_here=True)) == []


def test_an_error_reaches_the_caller_after_the_items_before_it():
    class Broken(Exception):
        pass

    def items():
        yield 1
        yield 2
        raise Broken

    seen = []
    with pytest.raises(Broken):
        for item in ahead(items()):
            seen.append(item)
    assert seen == [1, 2]


def test_a_caller_that_stops_early_waits_for_the_step_in_progress():
    finished = threading.Event()

    def items():
        yield 1
        time.sleep(0.05)
        finished.set()
        yield 2

    for _item in ahead(items()):
        break
    # Leaving the loop closed the generator, which waited for the worker's step to end.
    assert finished.is_set()


def test_blocks_cut_an_iterable_into_lists():
    assert list(blocks(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(blocks([], 3)) == []
