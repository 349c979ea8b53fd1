"""Reading CSV and XLSX files into rows of text keyed by field name, with row numbers for reports.

What a file may look like (CONTRACT.md section 7): UTF-8 with or without a BOM (UTF-16 with a BOM
is decoded too, as Excel's "Unicode Text" writes it); a comma, Excel's `;` or a tab as separator
(detected from the header line); headers that match a field's name or label in any case; blank
lines anywhere; extra columns (ignored and reported). `.xlsx` workbooks are read with openpyxl:
a formula cell gives its saved result, and a formula without one is reported on its row. Nothing
is ever evaluated.

Anything that makes the whole file unusable raises a `FileUnusable` error before a caller writes
anything; problems of one row travel with that row (`Row.problem`).

Reading is bounded (CONTRACT.md section 10): a file (bytes, a path, or an open file such as an upload
spooled to disk) is read as a stream, never whole into memory; a spreadsheet only as wide as its
header row; and past the caps of `Limits` (rows, cells, header width, the unpacked size of a
workbook) it is refused with `file_unusable` as soon as that is known.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import IO, Any

from django.conf import settings
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from smoothlms.csvio.errors import (
    DuplicateColumn,
    EmptyFile,
    FileTooLarge,
    MissingColumn,
    NotUtf8,
    TooLargeToRead,
    UnreadableFile,
    UnsupportedFile,
)

MAX_BYTES = 20 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls)
DELIMITERS = (",", ";", "\t")
CHUNK = 64 * 1024

# What a file may be: bytes, a path, or an open binary file (an upload spooled to a temporary file).
FileSource = bytes | str | os.PathLike | IO[bytes]


@dataclass(frozen=True)
class Limits:
    """Caps that keep one file from using much memory or time, checked while it is read (so a file
    past them is refused early, whatever it claims about itself). Settings override each default."""

    max_bytes: int = MAX_BYTES  # the file as uploaded
    max_rows: int = 200_000  # sheet or CSV rows, blank ones included
    max_cells: int = 5_000_000  # cells materialised while reading (rows x the width read)
    max_columns: int = 1024  # the header row's width (up to its last non-blank cell)
    # An XLSX's parts once unzipped: worksheets are parsed as a stream (about 5 MB of XML a second),
    # the other parts (shared strings, styles) are loaded whole.
    max_unpacked_bytes: int = 256 * 1024 * 1024
    max_loaded_bytes: int = 32 * 1024 * 1024

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_bytes=int(getattr(settings, "IMPORT_MAX_BYTES", cls.max_bytes)),
            max_rows=int(getattr(settings, "IMPORT_MAX_ROWS", cls.max_rows)),
            max_cells=int(getattr(settings, "IMPORT_MAX_CELLS", cls.max_cells)),
            max_columns=int(getattr(settings, "IMPORT_MAX_COLUMNS", cls.max_columns)),
            max_unpacked_bytes=int(getattr(settings, "IMPORT_MAX_UNPACKED_BYTES", cls.max_unpacked_bytes)),
            max_loaded_bytes=int(getattr(settings, "IMPORT_MAX_LOADED_BYTES", cls.max_loaded_bytes)),
        )


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


@dataclass(slots=True)
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str]
    problem: RowProblem | None = None
    cells: list[str] | None = None  # the row as written, when read with `keep_cells`

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class Table:
    rows: list[Row]
    columns: list[str]  # field names found in the header
    ignored: list[str] = field(default_factory=list)  # headers that match no field, as written
    format: str = "csv"
    delimiter: str | None = None
    header: list[str] = field(default_factory=list)  # the header row as written

    def has(self, name: str) -> bool:
        return name in self.columns


class TableStream:
    """A file being read (`open_table`): its header, and its rows as they are read, either as `rows`
    or as `records` (one of them, once: both read the one file)."""

    def __init__(
        self,
        records: Iterator[tuple[int, list[str]]],
        index_of: dict[str, int],
        *,
        shape: _Shape,
        fmt: str,
        delimiter: str | None,
        formulas: dict[tuple[int, int], str],
        ignored: list[str],
        header: list[str],
    ) -> None:
        self._records = records
        self._index_of = index_of
        self._shape = shape
        self._formulas = formulas
        self.columns = list(index_of)  # field names found in the header
        self.ignored = ignored
        self.format = fmt
        self.delimiter = delimiter
        self.header = header

    @property
    def rows(self) -> Iterator[Row]:
        """The rows after the header, as they are read."""
        return _rows(self._records, self._index_of, shape=self._shape, formulas=self._formulas)

    def records(self, names: Sequence[str]) -> Iterator[tuple[str, ...]]:
        """The texts of the columns `names` of each row, trimmed, as tuples in that order ("" for a
        column the file lacks): the lightest way through a large file, for a caller that needs a few
        columns and neither row numbers nor problems (a formula without a saved result reads as "",
        as in `Row.values`). Blank lines are skipped, as `rows` skips them."""
        return _records(self._records, [self._index_of.get(name) for name in names], len(self.header))

    def has(self, name: str) -> bool:
        return name in self.columns

    def read_all(self) -> Table:
        return Table(
            rows=list(self.rows),
            columns=self.columns,
            ignored=self.ignored,
            format=self.format,
            delimiter=self.delimiter,
            header=self.header,
        )


def header_key(text: str) -> str:
    """Headers compare without case, surrounding space or the difference between `_` and a space."""
    return " ".join(str(text).replace("\ufeff", "").replace("_", " ").split()).casefold()


def read_table(
    source: FileSource,
    *,
    filename: str,
    columns: Sequence[Column],
    limits: Limits | None = None,
    keep_cells: bool = False,
) -> Table:
    """Rows of `source` (CSV or XLSX, told apart by content, then by name) keyed by column name.

    `source` is bytes, a path or an open binary file: a file is read as a stream (never whole into
    memory), and only as wide as its header row. `keep_cells` also keeps each row's cells as
    written (`Row.cells`, for a file of the rows that failed). Raises FileUnusable (a subclass naming
    the problem) when the file cannot be used at all, or is past the caps of `limits` (settings by
    default). Every row is read before this returns; `open_table` gives them one at a time."""
    with open_table(source, filename=filename, columns=columns, limits=limits, keep_cells=keep_cells) as stream:
        return stream.read_all()


@contextmanager
def open_table(
    source: FileSource,
    *,
    filename: str,
    columns: Sequence[Column],
    limits: Limits | None = None,
    keep_cells: bool = False,
) -> Iterator[TableStream]:
    """`read_table`, one row at a time: the header is read (and checked) on entering, then
    `TableStream.rows` reads the file as it is iterated, so a caller that keeps what it needs of each
    row holds one row of the file at a time. A problem found later in the file (a cap passed, a
    byte that is not UTF-8) raises FileUnusable from the iteration, as read_table would have."""
    limits = limits or Limits.from_settings()
    shape = _Shape(columns=columns, keep_cells=keep_cells)
    with _binary(source) as stream:
        size = _size(stream)
        if size > limits.max_bytes:
            raise FileTooLarge(size_mb=round(size / 1024 / 1024, 1), limit_mb=limits.max_bytes // 1024 // 1024)
        head = stream.read(len(XLSX_MAGIC))
        stream.seek(0)
        name = (filename or "").lower()
        if head.startswith(OLE_MAGIC) or name.endswith(".xls"):
            raise UnsupportedFile(detail="Excel 97-2003 workbooks (.xls) are not supported: save it as .xlsx.")
        opened = _xlsx_stream if head.startswith(XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")) else _csv_stream
        with opened(stream, shape=shape, limits=limits) as table:
            yield table


@dataclass(frozen=True)
class _Shape:
    """What a reading keeps of each row."""

    columns: Sequence[Column]
    keep_cells: bool = False


@contextmanager
def _binary(source: FileSource) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes | bytearray | memoryview):
        yield io.BytesIO(source)
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            yield stream
    else:
        source.seek(0)  # an upload may have been read already (a form's checks)
        yield source


NUL_BYTES = "The file contains NUL bytes, so it is not a text (CSV) file."


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


class _Budget:
    """Counts what reading has materialised, and refuses past the caps."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.cells = 0

    def spend(self, number: int, cells: int) -> None:
        if number > self.limits.max_rows:
            raise TooLargeToRead(detail=f"it has more than {self.limits.max_rows:,} rows.")
        self.cells += cells
        if self.cells > self.limits.max_cells:
            raise TooLargeToRead(detail=f"it has more than {self.limits.max_cells:,} cells.")

    def header_width(self, cells: Sequence[Any]) -> int:
        """The header's width: up to its last non-blank cell, refused past the column cap."""
        width = len(cells)
        while width and not str(cells[width - 1] if cells[width - 1] is not None else "").strip():
            width -= 1
        if width > self.limits.max_columns:
            raise TooLargeToRead(
                detail=f"its header row is {width:,} columns wide; at most {self.limits.max_columns:,} are read."
            )
        return width


# CSV ------------------------------------------------------------------------------------------


@contextmanager
def _csv_stream(stream: IO[bytes], *, shape: _Shape, limits: Limits) -> Iterator[TableStream]:
    encoding = _encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        try:
            delimiter, lines = _delimiter(text)
            yield _stream(
                _csv_records(lines, delimiter, _Budget(limits)),
                shape=shape,
                fmt="csv",
                delimiter=delimiter,
                formulas={},
            )
        except UnicodeDecodeError:
            raise _decoding_error(stream, encoding) from None
        except csv.Error as exc:
            raise UnreadableFile(detail=f"{exc}.") from None
    finally:
        text.detach()  # the caller's file stays open


def _encoding(stream: IO[bytes]) -> str:
    head = stream.read(4)
    stream.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"  # a UTF-8 byte-order mark is dropped


def _decoding_error(stream: IO[bytes], encoding: str) -> NotUtf8 | UnreadableFile:
    """Where decoding fails, found again from the start in chunks (the reader's decoder only says
    that it failed): the byte, its line and its offset (after a UTF-8 byte-order mark)."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = newlines = 0
    while True:
        chunk = stream.read(CHUNK)
        pending = decoder.getstate()[0]
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            data = pending + chunk
            position = offset - len(pending) + exc.start
            if encoding == "utf-16":
                return UnreadableFile(detail=f"it starts as UTF-16 but byte {position} is not UTF-16.")
            line = newlines + data[: exc.start].count(b"\n") + 1
            if data[:3] == codecs.BOM_UTF8 and offset == 0:
                position -= len(codecs.BOM_UTF8)
            return NotUtf8(byte=f"0x{data[exc.start]:02X}", line=line, position=position)
        if not chunk:
            return UnreadableFile(detail="it could not be decoded.")
        newlines += chunk.count(b"\n")
        offset += len(chunk)


def _delimiter(text: IO[str]) -> tuple[str, Iterator[str]]:
    """The separator, from Excel's `sep=;` hint line or the header line (the most frequent of
    `,`, `;` and tab outside quotes; a comma on a tie), and the lines to parse."""
    first = text.readline()
    hint = first.strip()
    if hint.lower().startswith("sep=") and len(hint) == 5:
        return hint[4], _checked_lines("", text)
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return (best if counts[best] else ","), _checked_lines(first, text)


def _checked_lines(first: str, rest: IO[str]) -> Iterator[str]:
    """`first`, then the lines of `rest`: refused at the first NUL (a binary file, not text). A
    loop, not `yield from`: closing this generator must not close the caller's file."""
    nul = "\x00"
    if nul in first:
        raise UnsupportedFile(detail=NUL_BYTES)
    if first:
        yield first
    for line in rest:
        if nul in line:
            raise UnsupportedFile(detail=NUL_BYTES)
        yield line


def _csv_records(lines: Iterable[str], delimiter: str, budget: _Budget) -> Iterator[tuple[int, list[str]]]:
    """Records numbered by line (as a spreadsheet shows them), cut to the header's width."""
    reader = csv.reader(lines, delimiter=delimiter)
    width: int | None = None
    for cells in reader:
        number = reader.line_num
        budget.spend(number, len(cells))
        if width is None:
            if any(cell.strip() for cell in cells):
                width = budget.header_width(cells)
                cells = cells[:width]
            yield number, cells
        else:
            yield number, cells if len(cells) <= width else cells[:width]


# XLSX -----------------------------------------------------------------------------------------


@contextmanager
def _xlsx_stream(stream: IO[bytes], *, shape: _Shape, limits: Limits) -> Iterator[TableStream]:
    _check_unpacked_size(stream, limits)
    missing: dict[tuple[int, int], str] = {}
    book = _open_book(stream, data_only=False)
    saved = _SavedResults(stream)
    try:
        records = _xlsx_records(_sheet(book), saved, missing, _Budget(limits))
        yield _stream(records, shape=shape, fmt="xlsx", delimiter=None, formulas=missing)
    finally:
        saved.close()
        book.close()


def _check_unpacked_size(stream: IO[bytes], limits: Limits) -> None:
    """A small workbook can unpack to gigabytes of XML: refuse it from the sizes its archive
    records (a zip part cannot unpack to more than its recorded size)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UnreadableFile(detail=f"it is not a valid Excel workbook (.xlsx) ({type(exc).__name__}).") from None
    finally:
        stream.seek(0)
    unpacked = sum(part.file_size for part in parts)
    loaded = sum(part.file_size for part in parts if not part.filename.startswith("xl/worksheets/"))
    for size, limit, what in (
        (unpacked, limits.max_unpacked_bytes, "the workbook unpacks to"),
        (loaded, limits.max_loaded_bytes, "its shared strings and styles unpack to"),
    ):
        if size > limit:
            raise TooLargeToRead(
                detail=f"{what} {size / 1024 / 1024:,.0f} MB; at most {limit // 1024 // 1024:,} MB are read."
            )


def _open_book(stream: IO[bytes], *, data_only: bool):
    try:
        return load_workbook(stream, read_only=True, data_only=data_only)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zip, XML and key errors for damaged files
        raise UnreadableFile(detail=f"it is not a valid Excel workbook (.xlsx) ({type(exc).__name__}).") from None


def _sheet(book):
    sheet = book.active or book.worksheets[0]
    sheet.reset_dimensions()  # some writers record wrong dimensions; read every stored row
    return sheet


def _xlsx_records(
    sheet, saved: _SavedResults, missing: dict[tuple[int, int], str], budget: _Budget
) -> Iterator[tuple[int, list[str]]]:
    """Rows of the workbook's active sheet as text, read only as wide as the header row (the first
    non-blank one). A formula cell gives the result the spreadsheet saved with it (never evaluated
    here); one without a saved result is recorded in `missing` ({(row, column index): formula})."""
    width: int | None = None
    rows = sheet.iter_rows()
    number = 0
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        number += 1
        budget.spend(number, len(cells))
        texts = _xlsx_texts(number, cells, saved, missing)
        if width is None and any(text.strip() for text in texts):
            width = budget.header_width(texts)
            texts = texts[:width]
            # From here on, rows are materialised only as wide as the header.
            _close(rows)
            rows = sheet.iter_rows(min_row=number + 1, max_col=max(width, 1))
            saved.narrow(after=number, width=max(width, 1))
        yield number, texts


def _xlsx_texts(number: int, cells, saved: _SavedResults, missing: dict[tuple[int, int], str]) -> list[str]:
    texts = []
    for index, cell in enumerate(cells):
        if getattr(cell, "data_type", None) == "f":
            value = saved.value(number, index)
            if value is None:
                missing[(number, index)] = str(cell.value)
            texts.append(_cell_text(value))
        else:
            texts.append(_cell_text(cell.value))
    return texts


def _close(rows: Any) -> None:
    """Let go of a sheet reading left unfinished (it holds the zip part open)."""
    close = getattr(rows, "close", None)
    if close is not None:
        close()


class _SavedResults:
    """The results a spreadsheet saved with its formulas: a second reading of the same sheet, opened
    at the first formula and moved forward in step with the first (rows only ever advance)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.book = None
        self.sheet = None
        self.rows: Any = None  # a generator of the second reading's rows
        self.width: int | None = None
        self.number = 0
        self.current: tuple[Any, ...] = ()

    def narrow(self, *, after: int, width: int) -> None:
        """Rows past `after` are read only `width` cells wide, as in the first reading."""
        self.width = width
        if self.sheet is not None:
            _close(self.rows)
            self.rows = self.sheet.iter_rows(min_row=after + 1, max_col=width, values_only=True)
            self.number = after

    def value(self, number: int, index: int) -> Any:
        if self.sheet is None:
            self.book = _open_book(self.stream, data_only=True)
            self.sheet = _sheet(self.book)
            self.rows = self.sheet.iter_rows(min_row=number, max_col=self.width, values_only=True)
            self.number = number - 1
        while self.number < number:
            self.current = next(self.rows, ())
            self.number += 1
        return self.current[index] if index < len(self.current) else None

    def close(self) -> None:
        if self.book is not None:
            self.book.close()


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


def _stream(
    records: Iterable[tuple[int, list[str]]],
    *,
    shape: _Shape,
    fmt: str,
    delimiter: str | None,
    formulas: dict[tuple[int, int], str],
) -> TableStream:
    """The header (read now: the first non-blank record) and a generator of the rows after it."""
    iterator: Iterator[tuple[int, list[str]]] = iter(records)
    header: list[str] | None = None
    for _number, cells in iterator:
        if "".join(cells).strip():
            header = list(cells)
            break
    if header is None:
        raise EmptyFile()
    index_of = _match_header(header, shape.columns)
    ignored = [
        text.strip() for position, text in enumerate(header) if text.strip() and position not in index_of.values()
    ]
    return TableStream(
        iterator,
        index_of,
        shape=shape,
        fmt=fmt,
        delimiter=delimiter,
        formulas=formulas,
        ignored=ignored,
        header=header,
    )


def _rows(
    records: Iterator[tuple[int, list[str]]],
    index_of: dict[str, int],
    *,
    shape: _Shape,
    formulas: dict[tuple[int, int], str],
) -> Iterator[Row]:
    """The rows after the header, numbered as a spreadsheet shows the file (blank lines count, as
    they do there, but are not rows). Cells are text (the CSV reader's, or _xlsx_texts')."""
    positions = list(index_of.items())
    needed = max((i for _, i in positions), default=-1) + 1  # a row this wide has every column
    keep_cells = shape.keep_cells
    for number, cells in records:
        if _blank(cells):
            continue  # blank lines are not rows
        width = len(cells)
        if width >= needed:
            values = {name: cells[i].strip() for name, i in positions}
        else:  # a short row: the columns it lacks are blank
            values = {name: (cells[i].strip() if i < width else "") for name, i in positions}
        # `formulas` fills as an XLSX sheet is read, up to this row: looked at only once it has any.
        problem = _formula_problem(number, positions, formulas) if formulas else None
        yield Row(number, values, problem, list(cells) if keep_cells else None)


def _blank(cells: list[str]) -> bool:
    return not (cells and cells[0].strip()) and not "".join(cells).strip()  # a first cell with text answers at once


def _records(
    records: Iterator[tuple[int, list[str]]], positions: list[int | None], width: int
) -> Iterator[tuple[str, ...]]:
    """TableStream.records: the cells at `positions` (None: a column the file lacks) of each row.
    Rows are at most `width` cells (the header's): index `width` is past every row's end, where a
    short row, padded with blanks, reads "" (so does a column the file lacks)."""
    wanted = [width if i is None else i for i in positions]
    needed = max(wanted, default=-1) + 1
    pad = [""] * (width + 1)
    pick = itemgetter(*wanted)  # one C call per row
    strip = str.strip
    for _number, cells in records:
        if _blank(cells):
            continue
        picked = pick(cells if len(cells) >= needed else cells + pad)
        yield tuple(map(strip, picked)) if len(wanted) > 1 else (picked.strip(),)


def _formula_problem(
    number: int, positions: list[tuple[str, int]], formulas: dict[tuple[int, int], str]
) -> RowProblem | None:
    for name, i in positions:
        formula = formulas.get((number, i))
        if formula is not None:
            return RowProblem(
                "formula_without_value",
                f"Cell {column_letter(i)}{number} ({name}) holds the formula {formula} with no saved result; "
                "formulas are never evaluated here. Open and save the file in a spreadsheet program, or paste "
                "the values instead.",
            )
    return None


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
