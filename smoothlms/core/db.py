"""Database helpers that hide differences between SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

from django.db import IntegrityError

T = TypeVar("T")


def violated_constraint(exc: IntegrityError, names: Iterable[str]) -> str | None:
    """Which of `names` an IntegrityError broke, read from the driver's message.

    PostgreSQL reports the constraint name; MariaDB names the unique key (Django names the index
    after the constraint) or the check; SQLite names the columns for unique constraints, so callers
    pass the constraint names and we also match on the columns recorded in CONSTRAINT_COLUMNS.
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
        columns = CONSTRAINT_COLUMNS.get(name)
        if columns and all(column in text for column in columns):
            return name
    return None


# SQLite's unique-violation message lists "table.column" pairs instead of the constraint name.
CONSTRAINT_COLUMNS: dict[str, tuple[str, ...]] = {}


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def vendor(using: str = "default") -> str:
    from django.db import connections

    return connections[using].vendor


def select_for_update(queryset, *, of: tuple[str, ...] = ()):
    """`select_for_update` with what this backend supports: NO KEY UPDATE (PostgreSQL) since we never
    change keys, and `of` only where the backend knows it (MariaDB does not)."""
    from django.db import connections

    features = connections[queryset.db].features
    return queryset.select_for_update(
        no_key=features.has_select_for_no_key_update,
        of=of if features.has_select_for_update_of else (),
    )
