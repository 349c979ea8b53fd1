"""Reading an HR employee export (CONTRACT.md section 7): CSV (UTF-8, with or without BOM) or XLSX,
headers matching the fieldname or the Frappe report label in any case. Rows are streamed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smoothlms.hr.errors import HRFileUnusable
from smoothlms.hr.records import LABELS

_HEADER_TO_FIELD: dict[str, str] = {}
for _field, _label in LABELS.items():
    _HEADER_TO_FIELD[_field.lower()] = _field
    _HEADER_TO_FIELD[_label.lower()] = _field
    _HEADER_TO_FIELD[_field.replace("_", " ").lower()] = _field


@dataclass
class SourceRow:
    row: int  # the line (CSV) or sheet row (XLSX) number, the header being row 1
    data: dict[str, Any]


def map_headers(headers: list[Any]) -> list[str | None]:
    """The fieldname of each column (None for columns we do not read). Raises HRFileUnusable when
    the HR id column is missing."""
    fields: list[str | None] = []
    for header in headers:
        name = str(header or "").strip().lstrip("\ufeff").lower()
        fields.append(_HEADER_TO_FIELD.get(name))
    if "employee" not in fields:
        raise HRFileUnusable(detail="The file has no ID (employee) column. Columns expected: "
                                    + ", ".join(f"{label}/{name}" for name, label in LABELS.items()) + ".")
    return fields


def _rows(header: list[Any], rows: Iterator[list[Any]], first_row: int) -> Iterator[SourceRow]:
    fields = map_headers(header)
    columns = [(index, name) for index, name in enumerate(fields) if name]
    for number, values in enumerate(rows, start=first_row):
        if not values or all(value in (None, "") or (isinstance(value, str) and not value.strip())
                             for value in values):
            continue  # blank lines: spreadsheets are full of them
        width = len(values)
        yield SourceRow(number, {name: values[index] if index < width else None for index, name in columns})


def read_employee_file(path: str | Path) -> Iterator[SourceRow]:
    """The rows of an HR export. The header is checked before the first row is returned, so a file
    that cannot be used raises HRFileUnusable before anything is applied."""
    path = Path(path)
    if not path.is_file():
        raise HRFileUnusable(detail=f"No file at {path}.")
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(b"PK"):
        return _read_xlsx(path)
    return _read_csv(path)


def _read_csv(path: Path) -> Iterator[SourceRow]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HRFileUnusable(detail=f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise HRFileUnusable(detail=f"{path.name} is empty.")
    map_headers(header)  # fail now, not on first iteration
    return _rows(header, reader, 2)


def _read_xlsx(path: Path) -> Iterator[SourceRow]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise HRFileUnusable(detail=f"{path.name} is not a readable XLSX workbook ({exc}).") from None
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        raise HRFileUnusable(detail=f"{path.name} has no sheet.")
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise HRFileUnusable(detail=f"{path.name} is empty.")
    map_headers(list(header))

    def generate() -> Iterator[SourceRow]:
        try:
            yield from _rows(list(header), (list(values) for values in rows), 2)
        finally:
            workbook.close()

    return generate()
