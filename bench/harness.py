"""Benchmark harness: each case is timed with its peak Python memory, and compared with a floor
(raw bulk SQL of the same rows, no checks) and, where there is one, a per-row baseline, both
measured in the same run on the same database. No timed assertions: figures only."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Measure:
    seconds: float
    rows: int
    peak_mb: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


@dataclass
class CaseResult:
    case: str
    database: str
    rows: int
    seconds: float
    rows_per_second: float
    peak_mb: float
    floor_seconds: float | None = None
    floor_ratio: float | None = None
    baseline_rows_per_second: float | None = None
    baseline_ratio: float | None = None  # how many times faster than the per-row baseline
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def measure(fn: Callable[[], int], *, memory_fn: Callable[[], int] | None = None) -> Measure:
    """Time `fn` (which returns the number of rows it handled). Memory is measured on a second,
    identical run, `memory_fn`, under tracemalloc (which would distort the timing): its peak of
    Python allocations. Without `memory_fn` the peak is not measured (reported as 0)."""
    gc.collect()
    started = time.perf_counter()
    rows = fn()
    seconds = time.perf_counter() - started
    peak = 0
    if memory_fn is not None:
        gc.collect()
        tracemalloc.start()
        memory_fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return Measure(seconds=seconds, rows=rows, peak_mb=peak / 1024 / 1024)


def result(case: str, database: str, run: Measure, *, floor: Measure | None = None,
           baseline: Measure | None = None, notes: list[str] | None = None) -> CaseResult:
    return CaseResult(
        case=case, database=database, rows=run.rows, seconds=round(run.seconds, 3),
        rows_per_second=round(run.rows_per_second), peak_mb=round(run.peak_mb, 1),
        floor_seconds=round(floor.seconds, 3) if floor else None,
        floor_ratio=round(run.seconds / floor.seconds, 2) if floor else None,
        baseline_rows_per_second=round(baseline.rows_per_second) if baseline else None,
        baseline_ratio=round(run.rows_per_second / baseline.rows_per_second, 1) if baseline else None,
        notes=notes or [],
    )
