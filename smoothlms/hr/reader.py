"""Reading an HR employee export (CONTRACT.md section 7) with the shared CSV/XLSX reader: UTF-8 with
or without BOM, `,` `;` or tab separated, or XLSX; headers match the fieldname or the Frappe report
label in any case."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smoothlms.csvio.errors import MissingColumn
from smoothlms.csvio.reader import Column, RowProblem, read_table
from smoothlms.hr.errors import HRFileUnusable
from smoothlms.hr.records import LABELS

HR_EXPORT_COLUMNS = tuple(Column(name, label) for name, label in LABELS.items())


@dataclass
class SourceRow:
    row: int  # the line (CSV) or sheet row (XLSX) number, the header being row 1
    data: dict[str, Any]
    problem: RowProblem | None = None  # a cell that could not be read (an XLSX formula with no value)


def read_employee_file(path: str | Path) -> Iterator[SourceRow]:
    """The rows of an HR export. The whole file is checked before the first row is returned, so a
    file that cannot be used raises (HRFileUnusable, or the shared reader's FileUnusable naming the
    problem: empty_file, file_not_utf8, ...) before anything is applied."""
    path = Path(path)
    if not path.is_file():
        raise HRFileUnusable(detail=f"No file at {path}.")
    table = read_table(path, filename=path.name, columns=HR_EXPORT_COLUMNS)  # streamed from the file
    if not table.has("employee"):
        # Provisioning is keyed on the HR id; reconciliation (hr.reconciliation) can do without it.
        raise MissingColumn(column=LABELS["employee"], names="ID or employee",
                            hint=" Columns read: " + ", ".join(f"{label}/{name}" for name, label in LABELS.items())
                            + ".")
    return iter([SourceRow(row.number, dict(row.values), row.problem) for row in table.rows])
