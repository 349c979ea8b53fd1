"""Reading an HR employee export (CONTRACT.md section 7) with the shared CSV/XLSX reader: UTF-8 with
or without BOM, `,` `;` or tab separated, or XLSX; headers match the fieldname or the Frappe report
label in any case. Two uses: provisioning (`smoothlms import_employees`, keyed on the HR id) and
roster reconciliation (`smoothlms reconcile_roster`, the desk's page; an HR id or an email will do)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smoothlms.catalog.models import Batch
from smoothlms.core.bulk import collector_paused
from smoothlms.csvio.errors import FileUnusable, MissingColumn
from smoothlms.csvio.problems import problem_lines, problem_text
from smoothlms.csvio.reader import Column, FileSource, Row, RowProblem, Table, TableStream, open_table, read_table
from smoothlms.hr.reconciliation import (
    EMAIL_COLUMNS,
    EXPORT_FIELDS,
    Reconciliation,
    people_from_records,
    reconcile_people,
)
from smoothlms.hr.records import LABELS

HR_EXPORT_COLUMNS = tuple(Column(name, label) for name, label in LABELS.items())


class HRFileUnusable(FileUnusable):
    """A file-level refusal of an HR import (the shared reader's FileUnusable family)."""

    code = "file_unusable"
    message = "{detail}"


@dataclass
class SourceRow:
    row: int  # the line (CSV) or sheet row (XLSX) number, the header being row 1
    data: dict[str, Any]
    problem: RowProblem | None = None  # a cell that could not be read (an XLSX formula with no value)


def read_employee_file(path: str | Path) -> Iterator[SourceRow]:
    """The rows of an HR export, for provisioning. The whole file is checked before the first row
    is returned, so a file that cannot be used raises (HRFileUnusable, or the shared reader's
    FileUnusable naming the problem: empty_file, file_not_utf8, ...) before anything is applied."""
    path = Path(path)
    if not path.is_file():
        raise HRFileUnusable(detail=f"No file at {path}.")
    table = read_table(path, filename=path.name, columns=HR_EXPORT_COLUMNS)  # streamed from the file
    if not table.has("employee"):
        # Provisioning is keyed on the HR id; reconciliation can do without it.
        raise MissingColumn(
            column=LABELS["employee"],
            names="ID or employee",
            hint=" Columns read: " + ", ".join(f"{label}/{name}" for name, label in LABELS.items()) + ".",
        )
    return iter([SourceRow(row.number, dict(row.values), row.problem) for row in table.rows])


def read_hr_export(data: FileSource, *, filename: str) -> Table:
    """The rows of an HR employee export, for reconciliation (CSV or XLSX). Raises FileUnusable
    when the file cannot be read, or names neither an HR id nor an email column."""
    with open_hr_export(data, filename=filename) as stream:
        return stream.read_all()


@contextmanager
def open_hr_export(data: FileSource, *, filename: str) -> Iterator[TableStream]:
    """`read_hr_export`, its rows read as they are iterated (csvio.reader.open_table)."""
    with open_table(data, filename=filename, columns=HR_EXPORT_COLUMNS) as stream:
        if not stream.has("employee") and not any(stream.has(name) for name in EMAIL_COLUMNS):
            raise MissingColumn(
                column=LABELS["employee"],
                names="ID or employee",
                hint=" An export with no HR id needs a User ID, Company Email or Personal Email column.",
            )
        yield stream


def reconcile_file(*, batch: Batch, data: FileSource, filename: str) -> Reconciliation:
    """Read an HR export and reconcile it with `batch` (FileUnusable when the file cannot be used).
    The file is streamed: what is kept of each row is the person (hr.reconciliation.Person)."""
    with collector_paused():
        with open_hr_export(data, filename=filename) as stream:
            people = people_from_records(stream.records(EXPORT_FIELDS), has_status=stream.has("status"))
        return reconcile_people(batch=batch, people=people)


def finding_row_lines(*, data: FileSource, filename: str, report: Reconciliation) -> Iterator[str]:
    """The CSV of the file's rows that a finding of `report` concerns (by HR id, else by one of the
    row's emails): each as the file has it, plus `problem` (kind: detail; several joined by ` | `).
    Findings about people the file does not have (enrolled, not in HR) name no row."""
    table = read_table(data, filename=filename, columns=HR_EXPORT_COLUMNS, keep_cells=True)
    return problem_lines(table, _problems_by_row(table.rows, report))


def _problems_by_row(rows: list[Row], report: Reconciliation) -> Mapping[int, str]:
    by_employee: dict[str, list[str]] = {}
    by_email: dict[str, list[str]] = {}
    for finding in report.findings:
        text = problem_text(finding.kind, finding.detail)
        if finding.employee:
            by_employee.setdefault(finding.employee, []).append(text)
        elif finding.email:
            by_email.setdefault(finding.email.strip().lower(), []).append(text)
    problems: dict[int, str] = {}
    for row in rows:
        found = list(by_employee.get(row.get("employee"), []))
        for name in EMAIL_COLUMNS:
            email = row.get(name).strip().lower()
            if email and email in by_email:
                found.extend(text for text in by_email[email] if text not in found)
        if found:
            problems[row.number] = " | ".join(found)
    return problems
