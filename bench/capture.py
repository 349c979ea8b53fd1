"""Watching a case from the outside: which tables it wrote (row counts before and after), and
where its time went (every statement through `connection.execute_wrapper`, PostgreSQL's COPY
included (smoothlms.core.bulk sends it through the wrappers), the commits through
the connection, and the Python time between them), without touching the code under test."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# Phases of an enrollment run, in the order of the table; a statement's phase comes from its kind
# and the table it touches (see `classify`), the Python time between statements from its neighbours.
PHASES = ("reads", "checks", "lock", "writes", "audit", "tasks", "commit", "other")
_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE|JOIN|COPY|TABLE)\s+[`"]?(\w+)', re.IGNORECASE)


def row_counts() -> Counter:
    """{table: rows} for every table of the project's models."""
    from django.apps import apps
    from django.db import connection

    tables = sorted({m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.managed})
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        counts = Counter()
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


@contextmanager
def rows_written(into: dict) -> Iterator[None]:
    """Fill `into` with {table: rows added} by the block (tables that grew only)."""
    before = row_counts()
    yield
    after = row_counts()
    into.update({table: after[table] - before[table] for table in after if after[table] > before[table]})


# The writes of a statement that chains them (WITH seat AS (UPDATE ...), enrolled AS (INSERT ...)).
_CHAINED = re.compile(r'\bAS\s+\(\s*(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+[`"]?(\w+)', re.IGNORECASE)


def classify(sql: str, tables: dict[str, str]) -> str:
    """The phase of one statement. `tables` maps table names to phases (writes, audit, tasks);
    SELECTs are reads unless they lock (FOR UPDATE), an UPDATE of a table marked `lock` is the lock."""
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    names = [name.lower() for name in _TABLE.findall(sql)]
    chained = _CHAINED.findall(sql) if head == "WITH" else []
    if chained:  # writes chained in one statement: the phase of the first
        head, names = chained[0][0].split()[0].upper(), [chained[0][1].lower()]
    target = next((tables[name] for name in names if name in tables), None)
    if head == "SELECT" or head == "WITH":
        if re.search(r"\bFOR\s+(UPDATE|NO KEY UPDATE|SHARE)\b", sql, re.IGNORECASE):
            return "lock"
        return "reads" if target not in ("tasks",) else "tasks"
    if head in ("INSERT", "UPDATE", "DELETE", "COPY", "REPLACE"):
        first = names[0] if names else ""
        return tables.get(first, "writes")
    if head in ("CREATE", "DROP"):  # staging tables of a bulk write
        return target or "writes"
    return "other"


def summary(sql: str) -> str:
    """`SELECT people_user`, `UPDATE catalog_batch`, `SELECT catalog_batch FOR UPDATE`: the kind
    and first table of a statement."""
    words = sql.split(None, 1)
    head = words[0].upper() if words else ""
    chained = _CHAINED.findall(sql) if head == "WITH" else []
    if chained:
        return "WITH (" + " > ".join(f"{verb.split()[0].upper()} {table}" for verb, table in chained) + ")"
    names = _TABLE.findall(sql)
    lock = " FOR UPDATE" if re.search(r"\bFOR\s+(NO KEY\s+)?UPDATE\b", sql, re.IGNORECASE) else ""
    return f"{head} {names[0] if names else ''}".strip() + lock


@dataclass
class Phases:
    """Seconds and statements per phase. The Python time before a statement counts for that
    statement's phase (building its rows), except the time between a read and a statement of
    another phase (or the end), which is `checks` (the rules run on what was read); the time
    before a commit is `other`."""

    seconds: Counter = field(default_factory=Counter)
    statements: Counter = field(default_factory=Counter)
    db_seconds: Counter = field(default_factory=Counter)
    total: float = 0.0
    log: list[tuple[str, str, float, float]] | None = None  # (phase, statement, start, end) when kept

    def as_dict(self) -> dict:
        return {
            phase: {
                "seconds": round(self.seconds[phase], 4),
                "db_seconds": round(self.db_seconds[phase], 4),
                "statements": self.statements[phase],
            }
            for phase in PHASES
            if self.seconds[phase] or self.statements[phase]
        } | {"total": round(self.total, 4)}


class _Clock:
    def __init__(self, tables: dict[str, str], phases: Phases) -> None:
        self.tables, self.phases = tables, phases
        self.last_end = time.perf_counter()
        self.last_phase = ""

    def span(self, phase: str, started: float, ended: float, sql: str = "COMMIT") -> None:
        gap = started - self.last_end
        if phase == "commit":
            gap_phase = "other"
        elif self.last_phase == "reads" and phase != "reads":
            gap_phase = "checks"
        else:
            gap_phase = phase
        self.phases.seconds[gap_phase] += gap
        self.phases.seconds[phase] += ended - started
        self.phases.db_seconds[phase] += ended - started
        self.phases.statements[phase] += 1
        self.last_end, self.last_phase = ended, phase
        if self.phases.log is not None:
            self.phases.log.append((phase, summary(sql), started, ended))

    def execute(self, execute: Callable, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            text = sql if isinstance(sql, str) else str(sql)
            self.span(classify(text, self.tables), started, time.perf_counter(), text)


@contextmanager
def phases(into: Phases, tables: dict[str, str]) -> Iterator[None]:
    """Time the block by phase into `into` (see Phases). `tables`: {table name: phase}."""
    from django.db import connection

    clock = _Clock({name.lower(): phase for name, phase in tables.items()}, into)
    commit = connection._commit

    def timed_commit():
        started = time.perf_counter()
        try:
            return commit()
        finally:
            clock.span("commit", started, time.perf_counter())

    started = clock.last_end
    connection._commit = timed_commit
    try:
        with connection.execute_wrapper(clock.execute):
            yield
    finally:
        del connection._commit  # the instance attribute goes; the class's method is back
        ended = time.perf_counter()
        # Python after the last read works on what was read (a comparison, a report): checks.
        into.seconds["checks" if clock.last_phase == "reads" else "other"] += ended - clock.last_end
        into.total += ended - started
