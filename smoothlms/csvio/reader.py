"""Reading CSV and XLSX files into rows of text keyed by field name, with row numbers for reports.

What a file may look like (CONTRACT.md section 7): UTF-8 with or without a BOM (UTF-16 with a BOM
is decoded too, as Excel's "Unicode Text" writes it); a comma, Excel's `;` or a tab as separator
(detected from the header line); headers that match a field's name or label in any case; blank
lines anywhere; extra columns (ignored and reported). `.xlsx` workbooks are read with openpyxl:
a formula cell gives its saved result, and a formula without one is reported on its row. Nothing
is ever evaluated.

Anything that makes the whole file unusable raises a `FileUnusable` error before a caller writes
anything; problems of one row travel with that row (`Row.problem`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from smoothlms.csvio.errors import (
    DuplicateColumn,
    EmptyFile,
    FileTooLarge,
    MissingColumn,
    NotUtf8,
    UnreadableFile,
    UnsupportedFile,
)

MAX_BYTES = 20 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls)
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Column:
    """A field a file may carry: matched by `name` or `label`, in any case ("member", "Member")."""

    name: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    def keys(self) -> set[str]:
        return {header_key(text) for text in (self.name, self.label, *self.aliases)}


@dataclass(frozen=True)
class RowProblem:
    code: str
    message: str


@dataclass
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]
    problem: RowProblem | None = None

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class Table:
    rows: list[Row]
    columns: list[str]  # field names found in the header
    ignored: list[str] = field(default_factory=list)  # headers that match no field, as written
    format: str = "csv"
    delimiter: str | None = None

    def has(self, name: str) -> bool:
        return name in self.columns


def header_key(text: str) -> str:
    """Headers compare without case, surrounding space or the difference between `_` and a space."""
    return " ".join(str(text).replace("\ufeff", "").replace("_", " ").split()).casefold()


def read_table(data: bytes, *, filename: str, columns: Sequence[Column]) -> Table:
    """Rows of `data` (CSV or XLSX, told apart by content, then by name) keyed by column name.

    Raises FileUnusable (a subclass naming the problem) when the file cannot be used at all."""
    if len(data) > MAX_BYTES:
        raise FileTooLarge(size_mb=round(len(data) / 1024 / 1024, 1), limit_mb=MAX_BYTES // 1024 // 1024)
    name = (filename or "").lower()
    if data.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise UnsupportedFile(detail="Excel 97-2003 workbooks (.xls) are not supported: save it as .xlsx.")
    if data.startswith(XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        records, formulas = _xlsx_records(data)
        return _table(records, columns=columns, fmt="xlsx", delimiter=None, formulas=formulas)
    text = _decode(data)
    delimiter, text = _delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UnreadableFile(detail=f"{exc}.") from None
    return _table(enumerate(records, start=1), columns=columns, fmt="csv", delimiter=delimiter, formulas={})


# CSV ------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(detail=f"it starts as UTF-16 but byte {exc.start} is not UTF-16.") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Refuse rather than guess a legacy encoding: a wrong guess silently mangles names.
        raise NotUtf8(byte=f"0x{data[exc.start]:02X}", line=data.count(b"\n", 0, exc.start) + 1,
                      position=exc.start) from None
    if "\x00" in text:
        raise UnsupportedFile(detail="The file contains NUL bytes, so it is not a text (CSV) file.")
    return text


def _delimiter(text: str) -> tuple[str, str]:
    """The separator, from Excel's `sep=;` hint line or the header line (the most frequent of
    `,`, `;` and tab outside quotes; a comma on a tie)."""
    first, _, rest = text.partition("\n")
    hint = first.strip()
    if hint.lower().startswith("sep=") and len(hint) == 5:
        return hint[4], rest
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return (best if counts[best] else ","), text


# XLSX -----------------------------------------------------------------------------------------


def _xlsx_records(data: bytes) -> tuple[list[tuple[int, list[str]]], dict[tuple[int, int], str]]:
    """Rows of the workbook's active sheet as text, and the formula cells without a saved value
    ({(row, column index): formula}). Formula cells with a saved value give that value."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zip, XML and key errors for damaged files
        raise UnreadableFile(detail=f"it is not a valid Excel workbook (.xlsx) ({type(exc).__name__}).") from None
    try:
        sheet = book.active or book.worksheets[0]
        sheet.reset_dimensions()  # some writers record wrong dimensions; read every stored row
        records: list[tuple[int, list[str]]] = []
        formula_at: dict[tuple[int, int], str] = {}
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            texts = []
            for index, cell in enumerate(cells):
                if getattr(cell, "data_type", None) == "f":
                    formula_at[(number, index)] = str(cell.value)
                    texts.append("")
                else:
                    texts.append(_cell_text(cell.value))
            records.append((number, texts))
    finally:
        book.close()
    missing: dict[tuple[int, int], str] = {}
    if formula_at:
        _fill_saved_results(data, records, formula_at, missing)
    return records, missing


def _fill_saved_results(data: bytes, records: list[tuple[int, list[str]]], formula_at: dict[tuple[int, int], str],
                        missing: dict[tuple[int, int], str]) -> None:
    """Replace formula cells by the result the spreadsheet saved with them (never evaluated here)."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.active or book.worksheets[0]
        sheet.reset_dimensions()
        by_number = dict(records)
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            for index, value in enumerate(values):
                if (number, index) in formula_at:
                    if value is None:
                        missing[(number, index)] = formula_at[(number, index)]
                    else:
                        by_number[number][index] = _cell_text(value)
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time | Decimal | int | float):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return str(value)


def column_letter(index: int) -> str:
    return get_column_letter(index + 1)


# Headers and rows -----------------------------------------------------------------------------


def _table(records: Iterable[tuple[int, list[str]]], *, columns: Sequence[Column], fmt: str,
           delimiter: str | None, formulas: dict[tuple[int, int], str]) -> Table:
    iterator: Iterator[tuple[int, list[str]]] = iter(records)
    header: list[str] | None = None
    for _number, cells in iterator:
        if any(str(cell).strip() for cell in cells):
            header = [str(cell) for cell in cells]
            break
    if header is None:
        raise EmptyFile()
    index_of = _match_header(header, columns)
    ignored = [text.strip() for position, text in enumerate(header)
               if text.strip() and position not in index_of.values()]
    rows: list[Row] = []
    # Row numbers are those a spreadsheet shows for the file (blank lines count, as they do there).
    for number, cells in iterator:
        if not any(str(cell).strip() for cell in cells):
            continue  # blank lines are not rows
        values = {name: (cells[i].strip() if i < len(cells) else "") for name, i in index_of.items()}
        problem = None
        for name, i in index_of.items():
            formula = formulas.get((number, i))
            if formula is not None:
                problem = RowProblem(
                    "formula_without_value",
                    f"Cell {column_letter(i)}{number} ({name}) holds the formula {formula} with no saved result; "
                    "formulas are never evaluated here. Open and save the file in a spreadsheet program, or paste "
                    "the values instead.",
                )
                break
        rows.append(Row(number=number, values=values, problem=problem))
    return Table(rows=rows, columns=list(index_of), ignored=ignored, format=fmt, delimiter=delimiter)


def _match_header(header: list[str], columns: Sequence[Column]) -> dict[str, int]:
    index_of: dict[str, int] = {}
    for column in columns:
        keys = column.keys()
        found = [position for position, text in enumerate(header) if header_key(text) in keys]
        if len(found) > 1:
            raise DuplicateColumn(column=column.name, headers=", ".join(header[i].strip() for i in found))
        if found:
            index_of[column.name] = found[0]
        elif column.required:
            names = " or ".join(dict.fromkeys([column.name, column.label]))
            raise MissingColumn(column=column.name, names=names, hint="")
    return index_of
