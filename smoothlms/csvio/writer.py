"""Writing CSV and XLSX safely (CONTRACT.md section 7).

Every text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`,
so a spreadsheet never runs a value (a name such as `=HYPERLINK(...)`) as a formula. CSV is
produced line by line, so a large export streams without being held in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_text(value: object) -> str:
    """`value` as export text, defused when a spreadsheet could read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.datetime):
        text = value.isoformat()
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line(io.StringIO):
    def take(self) -> str:
        text = self.getvalue()
        self.seek(0)
        self.truncate(0)
        return text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = False) -> Iterator[str]:
    """The CSV text of `header` and `rows`, one line at a time (for a streaming response).

    `bom` starts the file with a byte-order mark, which spreadsheet programs need to read UTF-8."""
    buffer = _Line()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_text(cell) for cell in header])
    yield (BOM if bom else "") + buffer.take()
    for row in rows:
        writer.writerow([safe_text(cell) for cell in row])
        yield buffer.take()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = False) -> str:
    return "".join(csv_lines(header, rows, bom=bom))


def _xlsx_cell(value: object) -> object:
    # Numbers, booleans and dates stay typed (they can never be formulas); text is defused, and
    # the control characters XML cannot hold are dropped.
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", safe_text(value))


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], *, sheet_title: str = "Export") -> bytes:
    """An .xlsx workbook of one sheet, written in openpyxl's write-only (streaming) mode."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title[:31])
    sheet.append([_xlsx_cell(cell) for cell in header])
    for row in rows:
        sheet.append([_xlsx_cell(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
