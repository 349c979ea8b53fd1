"""Fast bulk writes for imports: rows go to the database with `executemany` (COPY on PostgreSQL)
without becoming model instances (at 50,000 rows, building and preparing instances costs several
times the inserts themselves). For tables whose rows carry no rules of their own (STYLE.md section 4), written by
services that have checked everything first."""

from __future__ import annotations

import gc
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import Enum
from typing import Any

from django.db import connection
from django.db.models import Model

from smoothlms.core.db import chunked


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector held off for one bounded pass that builds many small objects and
    no cycles (a 50,000-row file read into records, users matched against them). The collector
    runs after every 700 new objects, and every so often over all of them: measured, half the time
    of such a pass, to find nothing. It runs again on leaving (as it was: a caller that had it off keeps it off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _adapter(field) -> Callable[[Any], Any] | None:
    internal = field.get_internal_type()
    ops = connection.ops
    if internal == "DateTimeField":
        return ops.adapt_datetimefield_value
    if internal == "DateField":
        return ops.adapt_datefield_value
    if internal in ("JSONField", "DecimalField"):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _constant(field, given: Mapping[str, Any]) -> Any:
    """A column's value on every row: given, else the field's default; prepared for the database."""
    value = given[field.attname] if field.attname in given else field.get_default()
    if isinstance(value, Enum):  # TextChoices members: their text, which every driver takes
        value = value.value
    adapt = _adapter(field)
    return value if adapt is None or value is None else adapt(value)


def insert_rows(
    model: type[Model],
    rows: Sequence[dict[str, Any]],
    *,
    ignore_conflicts: bool = False,
    batch_size: int = 1000,
    fixed: Mapping[str, Any] | None = None,
) -> None:
    """INSERT `rows` (dicts keyed by attname, all with the same keys; other fields take their
    default, computed once) into `model`'s table. `fixed`: values the same on every row (by field
    name or attname; a model instance stands for its primary key), prepared once. `ignore_conflicts`
    skips rows that break a unique constraint, as bulk_create(ignore_conflicts=True) does."""
    if not rows:
        return
    meta = model._meta
    given = set(rows[0])
    constants = {
        meta.get_field(name).attname: value.pk if isinstance(value, Model) else value
        for name, value in (fixed or {}).items()
    }
    fields = [f for f in meta.concrete_fields if not f.primary_key and not getattr(f, "generated", False)]
    # The columns that vary first, then those the same on every row (one tuple, prepared once).
    varying = [(f.attname, _adapter(f)) for f in fields if f.attname in given]
    constant_fields = [f for f in fields if f.attname not in given]
    constant = tuple(_constant(f, constants) for f in constant_fields)
    columns = [connection.ops.quote_name(f.column) for f in fields if f.attname in given]
    columns += [connection.ops.quote_name(f.column) for f in constant_fields]

    def values(chunk: Sequence[dict[str, Any]]) -> list[tuple]:
        if all(adapt is None for _, adapt in varying):
            names = [name for name, _ in varying]
            return [(*[row[name] for name in names], *constant) for row in chunk]
        return [
            (
                *[row[name] if adapt is None or row[name] is None else adapt(row[name]) for name, adapt in varying],
                *constant,
            )
            for row in chunk
        ]

    table = connection.ops.quote_name(model._meta.db_table)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    verb = "INSERT IGNORE INTO" if ignore_conflicts and connection.vendor == "mysql" else "INSERT INTO"
    head = f"{verb} {table} ({', '.join(columns)}) VALUES "
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts and connection.vendor != "mysql" else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_insert(
                cursor,
                table,
                columns,
                values(rows),
                ignore_conflicts=ignore_conflicts,
            )
            return
        # SQLite runs executemany in C; MySQLdb rewrites it into multi-row INSERTs.
        for chunk in chunked(rows, batch_size):
            cursor.executemany(head + one + tail, values(chunk))


def _copy(cursor, table: str, columns: list[str], values: list[tuple]) -> None:
    """PostgreSQL's COPY: the fastest way in (psycopg parses every %s of a multi-row INSERT in Python,
    and sends a message per row for executemany). Django's cursor has no COPY: the statement goes
    through the connection's execute wrappers and its query log all the same, so that what watches
    the statements (query counts, lock-order tests, the benchmark's phases) sees it."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"

    def run(sql, params, many, context):
        # The driver's own cursor. Its errors become Django's (IntegrityError).
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in values:
                copy.write_row(row)

    started = time.monotonic()
    try:
        cursor._execute_with_wrappers(statement, None, False, executor=run)
    finally:
        if connection.queries_logged:
            connection.queries_log.append(
                {"sql": f"{len(values)} rows: {statement}", "time": f"{time.monotonic() - started:.3f}"}
            )


def _staging(cursor, table: str, columns: list[str]) -> str:
    staging = connection.ops.quote_name(f"_bulk_{secrets.token_hex(6)}")
    cursor.execute(f"CREATE TEMPORARY TABLE {staging} AS SELECT {', '.join(columns)} FROM {table} WITH NO DATA")
    return staging


def _copy_insert(cursor, table: str, columns: list[str], values: list[tuple], *, ignore_conflicts: bool) -> None:
    if not ignore_conflicts:
        _copy(cursor, table, columns, values)
        return
    # COPY cannot skip conflicting rows: stage them, then INSERT ... SELECT ... ON CONFLICT DO NOTHING.
    staging = _staging(cursor, table, columns)
    try:
        _copy(cursor, staging, columns, values)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {staging} "
            "ON CONFLICT DO NOTHING"
        )
    finally:
        cursor.execute(f"DROP TABLE {staging}")


def update_rows(
    model: type[Model], rows: Sequence[dict[str, Any]], fields: Sequence[str], *, batch_size: int = 1000
) -> None:
    """UPDATE each row (a dict with `pk` and the attnames in `fields`) by primary key."""
    if not rows:
        return
    meta = model._meta
    targets = [meta.get_field(name) for name in fields]  # names or attnames (user_id)
    adapters = [_adapter(field) for field in targets]
    assignments = ", ".join(f"{connection.ops.quote_name(field.column)} = %s" for field in targets)
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {assignments} "
        f"WHERE {connection.ops.quote_name(meta.pk.column)} = %s"
    )

    def params(row: dict[str, Any]) -> tuple:
        out = []
        for name, adapt in zip(fields, adapters, strict=True):
            value = row[name]
            out.append(value if adapt is None or value is None else adapt(value))
        out.append(row["pk"])
        return tuple(out)

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY into a staging table, then one UPDATE ... FROM it.
            names = [connection.ops.quote_name(field.column) for field in targets]
            table = connection.ops.quote_name(meta.db_table)
            pk = connection.ops.quote_name(meta.pk.column)
            staging = _staging(cursor, table, [pk, *names])
            try:
                _copy(cursor, staging, [pk, *names], [(row["pk"], *params(row)[:-1]) for row in rows])
                sets = ", ".join(f"{name} = s.{name}" for name in names)
                cursor.execute(f"UPDATE {table} SET {sets} FROM {staging} s WHERE {table}.{pk} = s.{pk}")
            finally:
                cursor.execute(f"DROP TABLE {staging}")
        elif connection.vendor == "mysql":
            # One multi-table UPDATE per chunk, joined to the new values as a derived table: MariaDB
            # runs executemany of an UPDATE as one statement per row.
            table = connection.ops.quote_name(meta.db_table)
            pk = connection.ops.quote_name(meta.pk.column)
            names = [connection.ops.quote_name(field.column) for field in targets]
            first = "SELECT " + ", ".join(f"%s AS {name}" for name in ["_pk", *[f"_v{i}" for i in range(len(names))]])
            other = "SELECT " + ", ".join(["%s"] * (len(names) + 1))
            sets = ", ".join(f"t.{name} = s._v{i}" for i, name in enumerate(names))
            for chunk in chunked(rows, batch_size):
                derived = " UNION ALL ".join([first] + [other] * (len(chunk) - 1))
                values = [value for row in chunk for value in (row["pk"], *params(row)[:-1])]
                cursor.execute(f"UPDATE {table} t JOIN ({derived}) s ON t.{pk} = s._pk SET {sets}", values)
        else:
            for chunk in chunked(rows, batch_size):
                cursor.executemany(sql, [params(row) for row in chunk])


def ids_by(model: type[Model], key: str, values: Sequence[Any], *, chunk_size: int = 2000) -> dict[Any, int]:
    """{value of `key`: primary key} of the rows whose `key` is in `values` (rows just inserted)."""
    found: dict[Any, int] = {}
    if connection.vendor == "postgresql":
        # One array parameter instead of thousands of placeholders for the driver to parse.
        column = connection.ops.quote_name(model._meta.get_field(key).column)
        sql = (
            f"SELECT {column}, {connection.ops.quote_name(model._meta.pk.column)} "
            f"FROM {connection.ops.quote_name(model._meta.db_table)} WHERE {column} = ANY(%s)"
        )
        with connection.cursor() as cursor:
            for chunk in chunked(values, 10 * chunk_size):
                cursor.execute(sql, [list(chunk)])
                found.update(cursor.fetchall())
        return found
    for chunk in chunked(values, chunk_size):
        found.update(model.objects.filter(**{f"{key}__in": chunk}).values_list(key, "pk"))
    return found
