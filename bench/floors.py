"""The two references every write case is measured against, writing the same rows (same tables,
same columns, same counts) in the same run on the same database:

- A, the raw driver floor: one transaction on the driver's own cursor (no Django cursor wrapper,
  no model instances): `executemany` on SQLite (sqlite3) and MariaDB (MySQLdb, which folds it into
  multi-row INSERTs), `COPY ... FROM STDIN` on PostgreSQL (psycopg 3 `cursor.copy`).
- B, Django's `bulk_create` of the same rows as model instances (batch_size 1000), in one transaction.

A case describes its rows once (`Rows`: values that are the same on every row, and per-row values)
and hands the same description to both writers. Rows that other rows point at (`ids=True`) get
their primary keys: reserved up front by A (one statement), returned by the INSERT for B."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

B_BATCH_SIZE = 1000
_ADAPTED = {"DateTimeField", "DateField", "UUIDField", "DecimalField", "TimeField"}


@dataclass
class Rows:
    model: type[Model]
    names: tuple[str, ...]  # attnames that vary per row, in the order of each tuple of `values`
    values: Sequence[tuple]
    fixed: dict[str, Any] = field(default_factory=dict)  # attname: the same value on every row
    ids: bool = False  # give the rows primary keys the caller can use (returned by `insert`)

    def __len__(self) -> int:
        return len(self.values)


def _fields(rows: Rows) -> list:
    """Every concrete column the table holds (what bulk_create writes), primary key only when
    given or asked for; generated columns are the database's."""
    meta = rows.model._meta
    named = set(rows.names) | set(rows.fixed)
    return [
        f
        for f in meta.concrete_fields
        if not getattr(f, "generated", False) and (not f.primary_key or f.attname in named)
    ]


class RawWriter:
    """A: the driver's own cursor. Call inside one transaction (`write(RawWriter(), ...)`)."""

    name = "raw driver"

    def __init__(self) -> None:
        connection.ensure_connection()
        self.cursor = connection.connection.cursor()
        self.vendor = connection.vendor

    def insert(self, rows: Rows) -> list[int] | None:
        if not len(rows):
            return [] if rows.ids else None
        fields = _fields(rows)
        varying = [f for f in fields if f.attname in rows.names]
        order = {name: i for i, name in enumerate(rows.names)}
        varying.sort(key=lambda f: order[f.attname])
        constant = [f for f in fields if f.attname not in rows.names]
        fixed = tuple(
            self._adapt(f, rows.fixed[f.attname] if f.attname in rows.fixed else f.get_default()) for f in constant
        )
        columns = [f.column for f in varying] + [f.column for f in constant]
        adapters = [self._per_row(f) for f in varying]
        values = rows.values
        if any(adapters):
            values = [
                tuple(value if adapt is None else adapt(value) for value, adapt in zip(row, adapters, strict=True))
                for row in values
            ]
        ids = None
        if rows.ids:
            ids = self.reserve_ids(rows.model, len(values))
            columns.insert(0, rows.model._meta.pk.column)
            data = [(pk, *row, *fixed) for pk, row in zip(ids, values, strict=True)]
        else:
            data = [(*row, *fixed) for row in values] if fixed else values
        self._write(rows.model._meta.db_table, columns, data)
        return ids

    def _write(self, table: str, columns: list[str], data: Sequence[tuple]) -> None:
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        if self.vendor == "postgresql":
            with self.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
            return
        mark = "?" if self.vendor == "sqlite" else "%s"
        self.cursor.executemany(
            f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join([mark] * len(columns))})", data
        )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One statement of the floor written with %s placeholders (e.g. the seat count UPDATE)."""
        self.cursor.execute(sql.replace("%s", "?") if self.vendor == "sqlite" else sql, params)

    def reserve_ids(self, model: type[Model], count: int) -> list[int]:
        """`count` primary keys no other row has or will be given: one statement."""
        table, pk = model._meta.db_table, model._meta.pk.column
        quote = connection.ops.quote_name
        if self.vendor == "postgresql":
            self.cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                [table, pk, table, pk, count],
            )
            last = self.cursor.fetchone()[0]
            return list(range(last - count + 1, last + 1))
        if self.vendor == "sqlite":
            # AUTOINCREMENT: the sequence moves past explicit ids by itself.
            self.cursor.execute(
                f"SELECT MAX(m) FROM (SELECT MAX({quote(pk)}) AS m FROM {quote(table)} "
                "UNION ALL SELECT seq FROM sqlite_sequence WHERE name = ?)",
                [table],
            )
        else:
            # InnoDB moves AUTO_INCREMENT past explicit ids by itself.
            self.cursor.execute(f"SELECT MAX({quote(pk)}) FROM {quote(table)}")
        first = (self.cursor.fetchone()[0] or 0) + 1
        return list(range(first, first + count))

    def _adapt(self, f, value: Any) -> Any:
        if value is None:
            return None
        if f.get_internal_type() == "JSONField":
            return json.dumps(value)
        if f.get_internal_type() in _ADAPTED:
            return f.get_db_prep_save(value, connection)
        return value

    def _per_row(self, f):
        internal = f.get_internal_type()
        if internal == "JSONField":
            return lambda value: None if value is None else json.dumps(value)
        if internal in _ADAPTED:
            return lambda value, f=f: self._adapt(f, value)
        return None


class OrmWriter:
    """B: Django's bulk_create of model instances. Call inside one transaction."""

    name = "bulk_create"

    def insert(self, rows: Rows) -> list[int] | None:
        model = rows.model
        objects = [model(**rows.fixed, **dict(zip(rows.names, row, strict=True))) for row in rows.values]
        if rows.ids and not connection.features.can_return_rows_from_bulk_insert:
            raw = RawWriter()
            for obj, pk in zip(objects, raw.reserve_ids(model, len(objects)), strict=True):
                obj.pk = pk
        model.objects.bulk_create(objects, batch_size=B_BATCH_SIZE)
        return [obj.pk for obj in objects] if rows.ids else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def write(writer_class, build) -> int:
    """Run `build(writer)` (which inserts a case's rows and returns how many) in one transaction."""
    with transaction.atomic(durable=True):
        return build(writer_class())
