"""Benchmark harness: each case is timed (with its phases), its peak Python memory taken on an
identical second run, and compared with two references measured in the same run on the same
database (bench/floors.py): A, the raw driver floor, and B, Django's bulk_create of the same rows.
No timed assertions: figures only. Sizes follow BENCH_SCALE (1 = the published sizes)."""

from __future__ import annotations

import gc
import os
import time
import tracemalloc
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field

from bench.capture import Phases, phases, rows_written


def scale() -> float:
    raw = os.environ.get("BENCH_SCALE", "1")
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"BENCH_SCALE: expected a number such as 0.1 or 1, got {raw!r}") from None
    if not 0 < value <= 10:
        raise SystemExit(f"BENCH_SCALE: expected a number above 0 and at most 10, got {raw!r}")
    return value


LONG_RUN = 2.0  # seconds


def repeats() -> int:
    """How many timed runs each measurement takes, the fastest counting (BENCH_REPEAT, default 2)."""
    raw = os.environ.get("BENCH_REPEAT", "2")
    if not raw.isdigit() or not 1 <= int(raw) <= 5:
        raise SystemExit(f"BENCH_REPEAT: expected a whole number from 1 to 5, got {raw!r}")
    return int(raw)


def scaled(size: int, *, minimum: int = 10) -> int:
    return max(minimum, round(size * scale()))


@dataclass
class Measure:
    seconds: float
    rows: int
    peak_mb: float = 0.0
    written: dict[str, int] = field(default_factory=dict)
    phases: Phases | None = None
    runs: int = 1

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


@dataclass
class CaseResult:
    case: str
    database: str
    rows: int
    seconds: float
    peak_mb: float
    a_seconds: float | None = None
    b_seconds: float | None = None
    x_a: float | None = None
    x_b: float | None = None
    per_row_ratio: float | None = None  # rows per second / rows per second of the one-at-a-time path
    written: dict[str, int] = field(default_factory=dict)
    phases: dict | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _timed(fn: Callable[[], int], phase_tables: dict[str, str] | None) -> Measure:
    written: dict[str, int] = {}
    timed = Phases() if phase_tables is not None else None
    with rows_written(written):
        gc.collect()
        with phases(timed, phase_tables) if timed is not None else nullcontext():
            started = time.perf_counter()
            rows = fn()
            seconds = time.perf_counter() - started
    return Measure(seconds=seconds, rows=rows, written=written, phases=timed)


def measure(
    fn: Callable[[], int] | Sequence[Callable[[], int]],
    *,
    memory_fn: Callable[[], int] | None = None,
    phase_tables: dict[str, str] | None = None,
) -> Measure:
    """Time `fn` (which returns the number of rows it handled), noting the rows it wrote per table
    (counted outside the timing) and, with `phase_tables`, its phases (bench/capture.py; the
    wrapper costs microseconds per statement). Given several functions (the same work on fresh
    targets), each is timed and the fastest run counts: the machine is shared, and the best of a
    few runs is the least disturbed one; a first run longer than LONG_RUN seconds is not repeated
    (it spans the disturbances already, and repeating it would cost minutes). Memory is measured
    on a separate identical run, `memory_fn`, under tracemalloc (which would distort the timing):
    its peak of Python allocations. Without `memory_fn` the peak is not measured (reported as 0)."""
    candidates = [fn] if callable(fn) else list(fn)
    runs = [_timed(candidates[0], phase_tables)]
    for one in candidates[1:]:
        if runs[0].seconds > LONG_RUN:
            break
        runs.append(_timed(one, phase_tables))
    best = min(runs, key=lambda run: run.seconds)
    best.runs = len(runs)
    if any(run.written != runs[0].written or run.rows != runs[0].rows for run in runs):
        raise AssertionError(f"the runs did different work: {[(run.rows, run.written) for run in runs]}")
    if memory_fn is not None:
        gc.collect()
        tracemalloc.start()
        memory_fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        best.peak_mb = peak / 1024 / 1024
    return best


def same_rows(run: Measure, reference: Measure, name: str) -> list[str]:
    """A note when a reference did not write what the case wrote (tables and counts)."""
    if run.written == reference.written:
        return []
    return [f"{name} wrote {reference.written}, the case wrote {run.written}: not the same rows"]


def result(
    case: str,
    database: str,
    run: Measure,
    *,
    a: Measure | None = None,
    b: Measure | None = None,
    baseline: Measure | None = None,
    notes: list[str] | None = None,
    check_rows: bool = True,
) -> CaseResult:
    notes = list(notes or [])
    if check_rows:
        for reference, name in ((a, "A"), (b, "B")):
            if reference is not None:
                notes += same_rows(run, reference, name)
    return CaseResult(
        case=case,
        database=database,
        rows=run.rows,
        seconds=round(run.seconds, 3),
        peak_mb=round(run.peak_mb, 1),
        a_seconds=round(a.seconds, 3) if a else None,
        b_seconds=round(b.seconds, 3) if b else None,
        x_a=round(run.seconds / a.seconds, 2) if a else None,
        x_b=round(run.seconds / b.seconds, 2) if b else None,
        per_row_ratio=round(run.rows_per_second / baseline.rows_per_second, 1) if baseline else None,
        written=run.written,
        phases=run.phases.as_dict() if run.phases else None,
        notes=notes,
    )
