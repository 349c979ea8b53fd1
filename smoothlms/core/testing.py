"""Test helpers shared by every app's tests (real databases, real threads)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def run_in_threads(target: Callable[[Any], None], items: Iterable[Any], *, timeout: float = 120) -> None:
    """Run `target(item)` for each item in its own thread (so its own DB connection), started
    together behind a barrier; re-raise the first exception any thread raised."""
    items = list(items)
    barrier = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def run(item):
        try:
            barrier.wait(timeout=timeout)
            target(item)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if any(thread.is_alive() for thread in threads):
        raise AssertionError("a thread did not finish in time")
    if errors:
        raise errors[0]


_LOCK = re.compile(r"FOR (NO KEY )?UPDATE", re.IGNORECASE)
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@contextmanager
def assert_locks_before_write(table: str):
    """Assert that the block locks a row of `table` (SELECT ... FOR [NO KEY] UPDATE, or a
    conditional UPDATE of it) before it writes anything. On SQLite, which has no row locks, the
    transaction is opened IMMEDIATE, so only the order of statements is checked."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    statements = [q["sql"] for q in ctx.captured_queries]
    first_write = next((i for i, sql in enumerate(statements) if _WRITE.match(sql)), None)
    assert first_write is not None, "the block wrote nothing"
    if connection.vendor == "sqlite":
        return
    locks = [i for i, sql in enumerate(statements)
             if table in sql and (_LOCK.search(sql) or sql.lstrip().upper().startswith("UPDATE"))]
    assert locks, f"no lock on {table} in:\n" + "\n".join(statements)
    assert locks[0] <= first_write, f"wrote before locking {table}:\n" + "\n".join(statements)
