"""Reading stays bounded (CONTRACT.md section 10): a spreadsheet is read only as wide as its header
row, within caps on rows, cells and unpacked size, from a stream (never the whole file in memory);
past a cap it is `file_unusable`, fast."""

from __future__ import annotations

import io
import tempfile
import time
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook

from smoothlms.csvio.errors import FileUnusable, TooLargeToRead
from smoothlms.csvio.reader import Column, Limits, read_table

COLUMNS = (Column("member", "Member", required=True), Column("batch", "Batch"))
XFD = 16384  # the last column a spreadsheet has


def wide_workbook(rows: int, *, header_too: bool = True) -> bytes:
    """A small file that claims a huge sheet: one cell in column XFD on each row."""
    book = Workbook()
    sheet = book.active
    sheet.cell(row=1, column=1, value="member")
    for number in range(1, rows + 1):
        if number > 1:
            sheet.cell(row=number, column=1, value=f"p{number}@example.com")
        if header_too or number > 1:
            sheet.cell(row=number, column=XFD, value="x")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measured(call):
    """(result or error, seconds, peak traced memory in MB) of `call()`."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = call()
    except FileUnusable as error:
        outcome = error
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return outcome, seconds, peak


def test_a_30_kb_workbook_with_a_cell_in_column_xfd_on_each_row_is_refused_fast_and_small():
    data = wide_workbook(2300)
    assert 25_000 < len(data) < 35_000
    outcome, seconds, peak_mb = measured(lambda: read_table(data, filename="roster.xlsx", columns=COLUMNS))
    assert isinstance(outcome, TooLargeToRead) and outcome.code == "file_unusable"
    assert "header row is 16,384 columns wide" in outcome.user_message()
    assert seconds < 1.0 and peak_mb < 200


def test_data_rows_are_read_only_as_wide_as_the_header_row():
    data = wide_workbook(2300, header_too=False)
    table, _, peak_mb = measured(lambda: read_table(data, filename="roster.xlsx", columns=COLUMNS))
    assert len(table.rows) == 2299 and table.rows[0].values == {"member": "p2@example.com"}
    assert peak_mb < 50  # 2,299 rows of one cell, not of 16,384
    started = time.perf_counter()  # timed apart: tracing memory slows the parser several times
    read_table(data, filename="roster.xlsx", columns=COLUMNS)
    assert time.perf_counter() - started < 3.0


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_more_rows_than_the_cap_are_refused(fmt):
    rows = [["member"], *[[f"p{n}@example.com"] for n in range(20)]]
    data = xlsx(rows) if fmt == "xlsx" else "".join(f"{row[0]}\n" for row in rows).encode()
    with pytest.raises(TooLargeToRead) as error:
        read_table(data, filename=f"roster.{fmt}", columns=COLUMNS, limits=Limits(max_rows=10))
    assert error.value.code == "file_unusable" and "more than 10 rows" in error.value.user_message()
    assert len(read_table(data, filename=f"roster.{fmt}", columns=COLUMNS, limits=Limits(max_rows=21)).rows) == 20


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_more_cells_than_the_cap_are_refused(fmt):
    rows = [["member", "batch", "notes"], *[[f"p{n}@example.com", "c1", "x"] for n in range(20)]]
    data = xlsx(rows) if fmt == "xlsx" else "".join(",".join(row) + "\n" for row in rows).encode()
    with pytest.raises(TooLargeToRead) as error:
        read_table(data, filename=f"roster.{fmt}", columns=COLUMNS, limits=Limits(max_cells=50))
    assert "more than 50 cells" in error.value.user_message()


def test_a_csv_header_wider_than_the_cap_is_refused():
    data = ("member" + "," * 2000 + "x\nasha@example.com\n").encode()
    with pytest.raises(TooLargeToRead) as error:
        read_table(data, filename="roster.csv", columns=COLUMNS)
    assert "header row is 2,001 columns wide" in error.value.user_message()


def test_a_workbook_that_unpacks_past_the_cap_is_refused_before_it_is_parsed():
    # A zip bomb: megabytes of XML that compress to almost nothing.
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx([["member"], ["asha@example.com"]]))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", b"<row r='3'/>" * 400_000 + b"</sheetData>")
            target.writestr(item.filename, content)
    data = out.getvalue()
    assert len(data) < 100_000
    outcome, seconds, _ = measured(
        lambda: read_table(
            data, filename="roster.xlsx", columns=COLUMNS, limits=Limits(max_unpacked_bytes=2 * 1024 * 1024)
        )
    )
    assert isinstance(outcome, TooLargeToRead) and "unpacks to 5 MB; at most 2 MB" in outcome.user_message()
    assert seconds < 0.5


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_open_file_is_read_as_a_stream(fmt):
    rows = [["member", "batch"], ["asha@example.com", "c1"], ["ben@example.com", "c2"]]
    data = xlsx(rows) if fmt == "xlsx" else "".join(",".join(row) + "\r\n" for row in rows).encode()
    with tempfile.TemporaryFile() as spooled:  # as an upload is spooled
        spooled.write(data)
        spooled.read()  # left at its end, as after a form's checks
        table = read_table(spooled, filename=f"roster.{fmt}", columns=COLUMNS)
        assert not spooled.closed  # the caller's file stays the caller's
    assert [(row.number, row.values) for row in table.rows] == [
        (2, {"member": "asha@example.com", "batch": "c1"}),
        (3, {"member": "ben@example.com", "batch": "c2"}),
    ]


def test_a_file_past_the_byte_cap_is_refused_from_its_size_alone():
    class Huge(io.BytesIO):
        def read(self, *args):  # never called for the content: the size decides
            raise AssertionError("read before the size check")

    spooled = Huge()
    spooled.seek(30 * 1024 * 1024)
    spooled.write(b"x")
    with pytest.raises(FileUnusable) as error:
        read_table(spooled, filename="roster.csv", columns=COLUMNS)
    assert error.value.code == "file_too_large"


def test_a_bad_byte_after_the_first_chunk_is_located_exactly():
    data = b"member\n" + b"a@example.com\n" * 10_000 + b"jos\xe9@example.com\n"
    from smoothlms.csvio.errors import NotUtf8

    with pytest.raises(NotUtf8) as error:
        read_table(data, filename="roster.csv", columns=COLUMNS)
    assert error.value.params == {"byte": "0xE9", "line": 10_002, "position": len(data) - 14}


def test_open_table_gives_rows_as_the_file_is_read_and_refuses_at_the_bad_byte():
    from smoothlms.csvio.errors import NotUtf8
    from smoothlms.csvio.reader import open_table

    data = b"member,batch\n" + b"a@example.com,c1\n" * 20_000 + b"jos\xe9@example.com,c1\n"
    seen = 0
    with pytest.raises(NotUtf8) as error:
        with open_table(data, filename="roster.csv", columns=COLUMNS) as stream:
            assert stream.columns == ["member", "batch"] and stream.has("batch")  # the header, read on entering
            for row in stream.rows:
                assert row.values == {"member": "a@example.com", "batch": "c1"}
                seen += 1
    assert 0 < seen < 20_000  # rows came before the end of the file was read: it is a stream
    assert error.value.params["line"] == 20_002


def test_open_table_holds_one_row_at_a_time():
    from smoothlms.csvio.reader import open_table

    data = b"member,batch\n" + b"someone.with.a.long.address@example.com,cohort-2026-01\n" * 50_000

    def count() -> int:
        with open_table(data, filename="roster.csv", columns=COLUMNS) as stream:
            return sum(1 for _row in stream.rows)

    rows, _seconds, peak = measured(count)
    whole, _seconds, whole_peak = measured(lambda: read_table(data, filename="roster.csv", columns=COLUMNS))
    assert rows == len(whole.rows) == 50_000
    assert peak < 1 and whole_peak > 10 * peak, (peak, whole_peak)  # MB
