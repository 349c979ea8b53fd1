"""Command-line helpers: a rich progress bar on a terminal, nothing when output is redirected."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


@contextmanager
def progress_bar(description: str, *, total: int | None = None, stream=None) -> Iterator[Callable[[int, int], None]]:
    """Yields `advance(done, total)`. The bar is drawn on stderr only when it is a terminal, so
    redirected output (scripts, logs) stays clean."""
    stream = stream or sys.stderr
    if not getattr(stream, "isatty", lambda: False)():
        yield lambda done, total: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=total)

        def advance(done: int, total: int) -> None:
            progress.update(task, advance=done, total=total)

        yield advance
