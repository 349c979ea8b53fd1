"""Database helpers that hide differences between SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from itertools import islice
from typing import TypeVar

from django.apps import apps
from django.db import IntegrityError, connections
from django.db.models import Model, QuerySet, UniqueConstraint

from smoothlms.core.timeutil import day_start

T = TypeVar("T")
M = TypeVar("M", bound=Model)
STREAM_CHUNK = 2000


def violated_constraint(exc: IntegrityError, names: Iterable[str]) -> str | None:
    """Which of `names` an IntegrityError broke, read from the driver's message.

    PostgreSQL reports the constraint name; MariaDB names the unique key (Django names the index
    after the constraint) or the check; SQLite names the columns of a unique constraint ("UNIQUE
    constraint failed: table.a, table.b"), so a unique constraint also matches on its columns, as its
    model declares them.
    """
    text = str(exc)
    cause = exc.__cause__
    if cause is not None:
        text += " " + str(cause)
        diag = getattr(cause, "diag", None)
        if diag is not None and getattr(diag, "constraint_name", None):
            text += " " + diag.constraint_name
    for name in names:
        if name in text:
            return name
        columns = _unique_columns(name)
        if columns and f"failed: {', '.join(columns)}" in text:
            return name
    return None


@cache
def _unique_columns(name: str) -> tuple[str, ...]:
    """("table.column", ...) of the unique constraint `name` of an installed model, as SQLite names
    them in its message; () when no model has a unique constraint of that name."""
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, UniqueConstraint) and constraint.name == name and constraint.fields:
                table = model._meta.db_table
                return tuple(f"{table}.{model._meta.get_field(field).column}" for field in constraint.fields)
    return ()


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def any_of(column: str, values: Sequence, *, using: str = "default") -> tuple[str, list]:
    """The SQL condition `column` is one of `values`, and its parameters, for raw SQL that reads a
    thousand keys at once: one array parameter on PostgreSQL (`= ANY(%s)`, nothing for the driver to
    parse per value), placeholders elsewhere. The ORM's `__in` prepares every value in Python, which
    at a thousand values costs more than the query."""
    if not values:
        return "1 = 0", []
    if connections[using].vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def instance_from_row(model: type[M], values: Sequence, *, using: str = "default") -> M:
    """An instance of `model` from `values`, one per concrete field in their order, as a raw
    cursor returned them: converted as the ORM converts what it reads (dates and booleans on SQLite
    and MariaDB, decimals, time zones), so that the instance equals the one a queryset would load."""
    connection = connections[using]
    table = model._meta.db_table
    converted = []
    for field, value in zip(model._meta.concrete_fields, values, strict=True):
        if value is not None:
            column = field.get_col(table)
            for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
                value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(using, [field.attname for field in model._meta.concrete_fields], converted)


def rows_by_key(model: type[Model], key: str, keys: Sequence[str], fields: Sequence[str], *, using: str = "default"):
    """(key, *fields) of the rows of `model` whose text field `key` is one of `keys` (each given
    once), in one statement with one parameter whatever their number: an array on PostgreSQL
    (`= ANY`, a hashed filter), a JSON list joined as a table on MariaDB (JSON_TABLE) and SQLite
    (json_each), each key then one index lookup. IN lists would cost a placeholder per key (and, on
    MariaDB, twice the time per key)."""
    if not keys:
        return []
    connection = connections[using]
    quote = connection.ops.quote_name
    opts = model._meta
    key_field = opts.get_field(key)
    column = f"t.{quote(key_field.column)}"
    selected = ", ".join([column, *(f"t.{quote(opts.get_field(name).column)}" for name in fields)])
    table = f"{quote(opts.db_table)} t"
    if connection.vendor == "postgresql":
        sql, params = f"SELECT {selected} FROM {table} WHERE {column} = ANY(%s)", [list(keys)]
    else:
        if connection.vendor == "mysql":
            length = key_field.max_length or 255
            listed = f"JSON_TABLE(%s, '$[*]' COLUMNS (value VARCHAR({length}) PATH '$')) AS k"
        else:
            listed = "json_each(%s) AS k"
        sql, params = f"SELECT {selected} FROM {listed} JOIN {table} ON {column} = k.value", [json.dumps(list(keys))]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def insert_select(
    obj: Model, *, from_sql: str, columns: dict[str, str] | None = None, using: str = "default"
) -> tuple[str, list]:
    """`INSERT INTO <obj's table> (<every column but the id>) SELECT <values> FROM <from_sql>` and its
    parameters: the row `obj` would be inserted as, once per row that `from_sql` yields (none: no
    insert), for raw statements that chain a write onto another. Each value is prepared as the ORM
    prepares an insert (defaults, auto_now, JSON, time zones), except the columns given in `columns`
    ({attname: SQL}), which take their value from the FROM. PostgreSQL types a bare parameter in a
    SELECT list as text, so each is cast to its column's type there."""
    connection = connections[using]
    quote = connection.ops.quote_name
    cast = connection.vendor == "postgresql"
    columns = columns or {}
    names, values, params = [], [], []
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.generated:  # the database writes a generated column itself
            continue
        names.append(quote(field.column))
        if field.attname in columns:
            values.append(columns[field.attname])
            continue
        values.append(f"CAST(%s AS {field.cast_db_type(connection)})" if cast else "%s")
        params.append(field.get_db_prep_save(field.pre_save(obj, add=True), connection))
    sql = f"INSERT INTO {quote(obj._meta.db_table)} ({', '.join(names)}) SELECT {', '.join(values)} FROM {from_sql}"
    return sql, params


def vendor(using: str = "default") -> str:
    return connections[using].vendor


def select_for_update(queryset, *, of: tuple[str, ...] = ()):
    """`select_for_update` with what this backend supports: NO KEY UPDATE (PostgreSQL) since we never
    change keys, and `of` only where the backend knows it (MariaDB does not)."""
    features = connections[queryset.db].features
    return queryset.select_for_update(
        no_key=features.has_select_for_no_key_update,
        of=of if features.has_select_for_update_of else (),
    )


def iterate_values(queryset: QuerySet, fields: Sequence[str], *, chunk_size: int = STREAM_CHUNK) -> Iterator[tuple]:
    """`queryset.values_list(*fields)` in primary-key order, `chunk_size` rows at a time: constant
    memory on SQLite, PostgreSQL and MariaDB alike. On PostgreSQL, one statement read through a
    server-side cursor. Elsewhere, keyset pagination (`WHERE id > last ORDER BY id LIMIT n`), a range
    of the table's clustered key on MariaDB and SQLite, where MariaDB's client would otherwise load
    a whole result set at once. On PostgreSQL each page would be planned anew: a table just
    bulk-loaded, whose statistics autovacuum has not yet gathered, gets a full scan and sort for
    every page, where the one statement scans it once."""
    if connections[queryset.db].vendor == "postgresql":
        yield from queryset.order_by("pk").values_list(*fields).iterator(chunk_size=chunk_size)
        return
    base = queryset.order_by("pk").values_list("pk", *fields)
    last = None
    while True:
        chunk = list((base if last is None else base.filter(pk__gt=last))[:chunk_size])
        for row in chunk:
            yield row[1:]
        if len(chunk) < chunk_size:
            return
        last = chunk[-1][0]


def filter_within(queryset: QuerySet, within: QuerySet | None) -> QuerySet:
    """Only the rows of `queryset` that are also in `within` (a queryset of the same model, such
    as a desk list as filtered on its page); all of them when `within` is None."""
    return queryset if within is None else queryset.filter(pk__in=within.order_by().values("pk"))


def filter_days(
    queryset: QuerySet, name: str, *, since: dt.date | None, until: dt.date | None, is_date: bool
) -> QuerySet:
    """Rows whose `name` falls on the days from `since` to `until` (inclusive, either may be None):
    a date field compared as it is, an instant from the start of `since` to the end of `until` in
    the server's time zone."""
    if since:
        queryset = queryset.filter(**{f"{name}__gte": since if is_date else day_start(since)})
    if until:
        if is_date:
            queryset = queryset.filter(**{f"{name}__lte": until})
        else:  # up to the end of that day: before the next day's start
            queryset = queryset.filter(**{f"{name}__lt": day_start(until + dt.timedelta(days=1))})
    return queryset
