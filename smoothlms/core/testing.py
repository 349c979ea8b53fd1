"""Test helpers shared by every app's tests (real databases, real threads)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
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


# The lock-order check --------------------------------------------------------------------------------

# A statement as captured: executemany is logged as "N times: INSERT ...", COPY (core.bulk) as "N rows: COPY ...".
_WRITE = re.compile(
    r"^\s*(?:\d+ (?:times|rows): )?(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+[`\"]?(\w+)", re.IGNORECASE
)
_BEGIN = re.compile(r"^\s*(?:BEGIN|START\s+TRANSACTION)(?:\s+(DEFERRED|IMMEDIATE|EXCLUSIVE))?\b", re.IGNORECASE)
_END = re.compile(r"^\s*(?:COMMIT|ROLLBACK)\s*;?\s*$", re.IGNORECASE)
_SAVEPOINT = re.compile(r"^\s*(?:SAVEPOINT|RELEASE\s+SAVEPOINT|ROLLBACK\s+TO\s+SAVEPOINT)\b", re.IGNORECASE)
# The row lock each backend takes for select_for_update (core.db): PostgreSQL's weaker NO KEY lock,
# which does not block inserts of rows that reference the locked one; MariaDB has only FOR UPDATE.
ROW_LOCK = {"postgresql": "FOR NO KEY UPDATE", "mysql": "FOR UPDATE"}


@dataclass
class _Transaction:
    begin: str | None  # its BEGIN as run, or None when it was opened before the block
    statements: list[str] = field(default_factory=list)


def _transactions(statements: Sequence[str], *, in_transaction: bool) -> list[_Transaction]:
    """The block's statements, grouped by transaction. A statement outside BEGIN ... COMMIT is a
    transaction of its own (autocommit), unless the block ran inside one opened before it."""
    if in_transaction:
        return [_Transaction(None, list(statements))]
    found: list[_Transaction] = []
    current: _Transaction | None = None
    for sql in statements:
        if _BEGIN.match(sql):
            current = _Transaction(sql)
            found.append(current)
        elif _END.match(sql):
            current = None
        elif current is not None:
            current.statements.append(sql)
        else:
            found.append(_Transaction("autocommit", [sql]))
    return found


def _written_table(sql: str) -> str | None:
    match = _WRITE.match(sql)
    return match.group(1) if match else None


def _row_read(sql: str, table: str, key: str = "id") -> int | None:
    """The key of the `table` row that a `SELECT ... FROM table WHERE table.<key> = N` reads, else
    None. `key` is the pk, or the leading column of a unique key the lock reads the row by."""
    if sql.lstrip()[:6].upper() != "SELECT":
        return None
    if not re.search(rf"\bFROM\s+[`\"]?{table}[`\"]?(\s|$)", sql, re.IGNORECASE):
        return None
    match = re.search(rf"[`\"]?{table}[`\"]?\.[`\"]?{key}[`\"]?\s*=\s*(\d+)", sql)
    return int(match.group(1)) if match else None


def _row_lock(sql: str, *, vendor: str, table: str, key: str = "id") -> int | None:
    """The pk of the `table` row that `sql` locks. On SQLite, which has no row locks, a read of one
    row by pk stands in for it (lock_batches' reload)."""
    pk = _row_read(sql, table, key)
    marker = ROW_LOCK.get(vendor)
    if pk is None or (marker is not None and not re.search(rf"\b{marker}\b", sql, re.IGNORECASE)):
        return None
    return pk


def _seat_update(sql: str, table: str) -> int | None:
    """The pk of the `table` row that a conditional `UPDATE table ... WHERE ... id = N` writes."""
    if _written_table(sql) != table or not sql.lstrip().upper().startswith("UPDATE"):
        return None
    match = re.search(rf"[`\"]?{table}[`\"]?\.[`\"]?id[`\"]?\s*=\s*(\d+)", sql)
    return int(match.group(1)) if match else None


def _check_transaction(
    txn: _Transaction,
    *,
    vendor: str,
    lock_table: str,
    pks: Sequence[int] | None,
    key: str = "id",
    seat_lock: bool = False,
) -> None:
    statements = [sql for sql in txn.statements if not _SAVEPOINT.match(sql)]
    listing = f"{txn.begin or '(a transaction opened before the block)'}\n" + _listing(statements)
    # On SQLite a write to lock_table (the conditional seat UPDATE) takes the database's write lock
    # itself; the reads that stand in for row locks must precede the other writes.
    first_write = next(
        (
            i
            for i, sql in enumerate(statements)
            if (table := _written_table(sql)) and ((vendor != "sqlite" and not seat_lock) or table != lock_table)
        ),
        len(statements),
    )
    locked: list[int] = []
    for index, sql in enumerate(statements):
        pk = _row_lock(sql, vendor=vendor, table=lock_table, key=key)
        if pk is None and seat_lock:
            pk = _seat_update(sql, lock_table)
        if pk is None or pk in locked:
            continue  # a row locked again is fine
        assert index < first_write, f"{lock_table} row {pk} was first locked after a write\n" + listing
        locked.append(pk)
    how = ROW_LOCK.get(vendor, "a read by pk")
    assert locked, f"no row of {lock_table} was locked ({how}) before the first write\n" + listing
    assert locked == sorted(locked), f"{lock_table} rows were locked in the order {locked}, not by pk\n" + listing
    if pks is not None:
        assert locked == sorted(pks), f"locked the {lock_table} rows {locked}, expected {sorted(pks)}\n" + listing
    if vendor == "sqlite":
        _check_sqlite_write_lock(txn, statements, lock_table=lock_table, listing=listing)


def _check_sqlite_write_lock(txn: _Transaction, statements: list[str], *, lock_table: str, listing: str) -> None:
    """SQLite locks the whole database for writing at the first write of a transaction, or at its
    BEGIN when that is IMMEDIATE or EXCLUSIVE; what a transaction read before may be stale by the
    time it writes. So a writing transaction must hold the write lock from its first statement: an
    IMMEDIATE (or EXCLUSIVE) BEGIN, or a first statement that writes lock_table (a conditional seat
    UPDATE)."""
    assert txn.begin is not None, (
        "on SQLite the check must see the transaction begin: run the test with django_db(transaction=True)\n" + listing
    )
    match = _BEGIN.match(txn.begin)
    mode = (match.group(1) if match else None) or "DEFERRED"
    if mode.upper() in ("IMMEDIATE", "EXCLUSIVE"):
        return
    assert _written_table(statements[0]) == lock_table, (
        f"a {mode.lower()} transaction ran `{statements[0][:80]}` before it held SQLite's write lock (BEGIN "
        f"IMMEDIATE, or a first statement that writes {lock_table})\n" + listing
    )


def check_lock_order(
    statements: Sequence[str],
    *,
    vendor: str,
    lock_table: str,
    write_table: str,
    pks: Sequence[int] | None = None,
    in_transaction: bool = False,
    key: str = "id",
    seat_lock: bool = False,
) -> None:
    """Raise AssertionError unless every transaction among `statements` (SQL as captured, in
    order, on `vendor`) that writes `write_table` first locks rows of `lock_table`, in ascending pk
    order (exactly the rows `pks`, when given), and at least one transaction writes `write_table`.

    A row lock is a `SELECT ... FROM lock_table WHERE id = N ... FOR NO KEY UPDATE` on PostgreSQL
    and `... FOR UPDATE` on MariaDB; a seat UPDATE does not count, since the rules read the row
    before it. A row's first lock must come before the transaction's first write, to any table:
    locking as one goes is how two transactions deadlock; a row locked again later is fine. SQLite
    has no row locks: there the reads of the rows by pk stand in for the locks (in pk order, before
    any write to another table), and the transaction must hold the database's write lock from its
    first statement. `in_transaction`: the block ran inside a transaction opened before it."""
    writing = [
        txn
        for txn in _transactions(statements, in_transaction=in_transaction)
        if any(_written_table(sql) == write_table for sql in txn.statements)
    ]
    assert writing, f"nothing was written to {write_table}\n" + _listing(statements)
    for txn in writing:
        _check_transaction(txn, vendor=vendor, lock_table=lock_table, pks=pks, key=key, seat_lock=seat_lock)


def _listing(statements: Sequence[str]) -> str:
    return "\n".join(f"{i:3}: {sql[:300]}" for i, sql in enumerate(statements))


@contextmanager
def assert_locks_before_write(
    lock_table: str, *, write_table: str, pks: Sequence[int] | None = None, key: str = "id", seat_lock: bool = False
):
    """Assert that each transaction of the block that writes `write_table` locks the rows of
    `lock_table` before it writes anything, in pk order (exactly `pks`, if given): check_lock_order
    on the SQL the block runs. On SQLite the test must run with django_db(transaction=True), so
    that the check sees how each transaction begins. `seat_lock`: the row's conditional UPDATE (the
    seat, after the rules read the committed row) is its lock, and it must come before every other write."""
    in_transaction = connection.in_atomic_block
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    check_lock_order(
        [q["sql"] for q in ctx.captured_queries],
        vendor=connection.vendor,
        lock_table=lock_table,
        write_table=write_table,
        pks=pks,
        in_transaction=in_transaction,
        key=key,
        seat_lock=seat_lock,
    )
