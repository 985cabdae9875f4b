"""The stock never goes below zero, under concurrency: two distributions racing for the last units
of an item in a store, in real threads with their own database connections; exactly one wins.

Runs on PostgreSQL (the row lock on the balance) and on SQLite (the write lock taken at BEGIN
IMMEDIATE, settings' ``transaction_mode``). SQLite's in-memory test database is shared-cache, where
a second writer fails at once instead of waiting; the threads then work on a copy of it in a file,
as the platform does in production."""

import contextlib
import copy
import tempfile
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from fangkong.core.actors import SYSTEM
from fangkong.donations import services
from fangkong.donations.models import Distribution, StockBalance, TraceLink


@contextlib.contextmanager
def shared_database():
    """Yields a function that points the calling thread at a database all threads share."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield lambda: None
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "race.sqlite3"
        import sqlite3

        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()
        original = connections["default"]
        settings = copy.deepcopy(original.settings_dict)
        settings["NAME"] = str(path)

        def use_file() -> None:
            wrapper = original.__class__(copy.deepcopy(settings), alias="default")
            connections["default"] = wrapper


        try:
            yield use_file
        finally:
            connections["default"].close()
            connections["default"] = original


@pytest.mark.django_db(transaction=True)
def test_two_distributions_racing_for_the_last_units_cannot_both_win(city, goods):
    with shared_database() as use_shared:
        use_shared()
        for _round in range(5):
            services.intake_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="10",
                                   donor=goods.donor, received_by="张库管")
            barrier = threading.Barrier(2)
            outcomes: list[str] = []

            def worker(unit, barrier=barrier, outcomes=outcomes):
                use_shared()
                try:
                    barrier.wait()
                    services.distribution_create(actor=SYSTEM, store=goods.store, item=goods.gloves, to_unit=unit,
                                                 quantity="8")
                    outcomes.append("ok")
                except ValidationError as exc:
                    outcomes.append("refused: " + " ".join(exc.messages))
                finally:
                    connections.close_all()

            threads = [threading.Thread(target=worker, args=(u,)) for u in (city.comm_1, city.comm_2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(o[:2] for o in outcomes) == ["ok", "re"], outcomes
            assert StockBalance.objects.get(store=goods.store, item=goods.gloves).balance == 2
            services.adjustment_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="2",
                                       write_off=True, reason="清零", approved_by="王组长")
        assert Distribution.objects.count() == 5
        assert sum(t.quantity for t in TraceLink.objects.filter(distribution__isnull=False)) == 40
        assert StockBalance.objects.get(store=goods.store, item=goods.gloves).balance == 0
