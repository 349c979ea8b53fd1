"""Exports never hand a spreadsheet a formula (CONTRACT.md section 7)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from smoothlms.csvio.writer import csv_lines, csv_text, safe_text, xlsx_bytes


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("asha@example.com", "asha@example.com"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (5, "5"),
        (-5, "'-5"),
        (True, "true"),
    ],
)
def test_safe_text_defuses_formula_starts_only(value, expected):
    assert safe_text(value) == expected


def test_csv_is_written_line_by_line_with_optional_bom():
    lines = list(csv_lines(["name", "member"], iter([["=1+1", "a@example.com"], ["x, y", "@b"]]), bom=True))
    assert lines == ["\ufeffname,member\r\n", "'=1+1,a@example.com\r\n", '"x, y",\'@b\r\n']
    assert csv_text(["a"], []) == "a\r\n"


def test_xlsx_keeps_numbers_typed_and_defuses_text():
    data = xlsx_bytes(
        ["name", "count", "when", "note"],
        [["=cmd|' /C calc'!A0", 3, dt.date(2026, 1, 2), "ok\x01"], ["+SUM(1)", Decimal("1.5"), None, "-"]],
    )
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[1][0] == "'=cmd|' /C calc'!A0" and rows[1][1] == 3 and rows[1][3] == "ok"
    assert rows[2][0] == "'+SUM(1)" and rows[2][1] == 1.5 and rows[2][3] == "'-"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
