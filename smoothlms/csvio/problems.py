"""A file of the rows that failed: each such row of an uploaded file as it was written, plus a
`problem` column (`code: message`). The desk offers it beside an import's preview and result, and
beside a reconciliation, so that the rows can be fixed in a spreadsheet and uploaded again."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from smoothlms.csvio.reader import Table
from smoothlms.csvio.writer import csv_lines

PROBLEM_COLUMN = "problem"


def problem_lines(table: Table, problems: Mapping[int, str]) -> Iterator[str]:
    """CSV lines (with a byte-order mark, for spreadsheets) of `table`'s header plus `problem`,
    then each row numbered in `problems`, in file order, with its problem. `table` is read with
    `keep_cells` (the cells as written)."""
    width = len(table.header)
    rows = ([*_cells(row.cells or [], width), problems[row.number]] for row in table.rows if row.number in problems)
    return csv_lines([*table.header, PROBLEM_COLUMN], rows, bom=True)


def _cells(cells: list[str], width: int) -> list[str]:
    return [*cells[:width], *[""] * (width - len(cells))]


def problem_text(code: str, message: str) -> str:
    return f"{code}: {message}" if code else message
