"""Reading enrollment files: encodings, separators, headers, blank lines, XLSX formulas."""

import io

import pytest
from openpyxl import Workbook

from smoothlms.csvio.errors import DuplicateColumn, EmptyFile, MissingColumn, NotUtf8, UnreadableFile, UnsupportedFile
from smoothlms.csvio.reader import Column, read_table

COLUMNS = (Column("member", "Member", required=True), Column("batch", "Batch"), Column("reason", "Reason"))


def read(data: bytes, name: str = "roster.csv"):
    return read_table(data, filename=name, columns=COLUMNS)


def xlsx(rows, *, formulas=None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_reads_rows_keyed_by_field_with_spreadsheet_row_numbers():
    table = read(b"member,batch\nasha@example.com,cohort-1\nben@example.com,cohort-2\n")
    assert [(r.number, r.values) for r in table.rows] == [
        (2, {"member": "asha@example.com", "batch": "cohort-1"}),
        (3, {"member": "ben@example.com", "batch": "cohort-2"}),
    ]
    assert table.columns == ["member", "batch"] and table.ignored == [] and table.delimiter == ","


def test_utf8_bom_is_ignored_and_labels_match_in_any_case():
    table = read("\ufeffMEMBER;Batch;Réason\nasha@example.com;Cohört;late\n".encode())
    assert table.delimiter == ";"
    assert table.rows[0].values == {"member": "asha@example.com", "batch": "Cohört"}
    assert table.ignored == ["Réason"]


def test_excel_semicolon_separator_is_detected_even_with_commas_in_cells():
    table = read(b'member;batch;reason\nasha@example.com;Onboarding, week 12;"late, approved"\n')
    assert table.rows[0].values == {
        "member": "asha@example.com",
        "batch": "Onboarding, week 12",
        "reason": "late, approved",
    }


def test_excel_sep_hint_line_sets_the_separator():
    table = read(b"sep=;\nmember;batch\nasha@example.com;c1\n")
    assert table.rows[0].values == {"member": "asha@example.com", "batch": "c1"}


def test_unknown_columns_are_ignored_and_reported():
    table = read(b"Employee ID,member,Department\nE1,asha@example.com,Sales\n")
    assert table.rows[0].values == {"member": "asha@example.com"}
    assert table.ignored == ["Employee ID", "Department"]


def test_blank_lines_are_skipped_but_rows_keep_their_numbers():
    table = read(b"member\n\nasha@example.com\n , \n\nben@example.com\n")
    assert [(r.number, r.get("member")) for r in table.rows] == [(3, "asha@example.com"), (6, "ben@example.com")]


def test_missing_member_column_is_a_file_level_error_naming_it():
    with pytest.raises(MissingColumn) as err:
        read(b"email,batch\nasha@example.com,c1\n")
    assert err.value.code == "missing_column"
    assert err.value.user_message() == "The file has no member column: add a header named member or Member."


def test_a_column_given_twice_is_refused():
    with pytest.raises(DuplicateColumn):
        read(b"member,Member\na@example.com,b@example.com\n")


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(data):
    with pytest.raises(EmptyFile):
        read(data)


def test_non_utf8_file_is_refused_naming_the_encoding_problem():
    data = "member,batch\njosé@example.com,c1\n".encode("cp1252")
    with pytest.raises(NotUtf8) as err:
        read(data)
    assert err.value.code == "file_not_utf8"
    message = err.value.user_message()
    assert "not UTF-8" in message and "byte 0xE9 on line 2" in message and "CSV UTF-8" in message


def test_utf16_with_bom_as_excel_unicode_text_is_read():
    table = read("member\tbatch\r\nasha@example.com\tc1\r\n".encode("utf-16"))
    assert table.delimiter == "\t" and table.rows[0].values == {"member": "asha@example.com", "batch": "c1"}


def test_binary_and_old_excel_files_are_refused():
    with pytest.raises(UnsupportedFile):
        read(b"member\x00\x01\n")
    with pytest.raises(UnsupportedFile) as err:
        read(b"\xd0\xcf\x11\xe0rest", "roster.xls")
    assert ".xls" in err.value.user_message()


def test_damaged_xlsx_is_refused():
    with pytest.raises(UnreadableFile):
        read(b"PK\x03\x04 not really a zip", "roster.xlsx")


def test_xlsx_rows_are_read_with_their_sheet_row_numbers():
    data = xlsx(
        [
            ["Member", "Batch", "Notes"],
            ["asha@example.com", "c1", "x"],
            [None, None, None],
            ["ben@example.com", "c2", None],
            [42, "c3", None],
        ]
    )
    table = read(data, "roster.xlsx")
    assert table.format == "xlsx" and table.ignored == ["Notes"]
    assert [(r.number, r.values) for r in table.rows] == [
        (2, {"member": "asha@example.com", "batch": "c1"}),
        (4, {"member": "ben@example.com", "batch": "c2"}),
        (5, {"member": "42", "batch": "c3"}),
    ]


def test_xlsx_formula_without_saved_value_is_a_row_problem_and_never_evaluated():
    # openpyxl saves formulas without a computed result, as a spreadsheet that never opened it would.
    data = xlsx([["member", "batch"], ['=CONCAT("asha","@example.com")', "c1"], ["ben@example.com", "c1"]])
    table = read(data, "roster.xlsx")
    first, second = table.rows
    assert first.problem is not None and first.problem.code == "formula_without_value"
    assert "Cell A2 (member)" in first.problem.message and "never evaluated" in first.problem.message
    assert first.get("member") == ""
    assert second.problem is None and second.get("member") == "ben@example.com"


def test_xlsx_formula_with_a_saved_value_gives_that_value():
    import zipfile

    data = xlsx([["member", "batch"], ["=A9", "c1"]])
    # Store a result with the formula, as a spreadsheet program does when it saves the file.
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'<c r="A2"><f>A9</f><v /></c>' in content
                content = content.replace(
                    b'<c r="A2"><f>A9</f><v /></c>', b'<c r="A2" t="str"><f>A9</f><v>asha@example.com</v></c>'
                )
            target.writestr(item, content)
    table = read(out.getvalue(), "roster.xlsx")
    assert table.rows[0].problem is None and table.rows[0].get("member") == "asha@example.com"


def _records_and_rows(data: bytes, name: str, names):
    from smoothlms.csvio.reader import open_table

    with open_table(data, filename=name, columns=COLUMNS) as stream:
        records = list(stream.records(names))
    rows = [tuple(row.get(field) for field in names) for row in read(data, name).rows]
    return records, rows


def test_records_give_the_named_columns_of_each_row_as_rows_do():
    # Cells trimmed, a short row's missing cells blank, blank lines skipped, a column the file lacks
    # ("reason") blank, and the columns in the order asked for, not the file's.
    data = b"Batch;Member\n c1 ; asha@example.com \n\n;;\nc2\n;ben@example.com;extra\n"
    records, rows = _records_and_rows(data, "roster.csv", ("member", "reason", "batch"))
    assert records == rows == [("asha@example.com", "", "c1"), ("", "", "c2"), ("ben@example.com", "", "")]
    single, _ = _records_and_rows(data, "roster.csv", ("member",))
    assert single == [("asha@example.com",), ("",), ("ben@example.com",)]


def test_records_of_a_workbook_are_its_rows_texts():
    data = xlsx([["Member", "Batch"], ["asha@example.com", "c1"], [None, None], [42, None], ["=A9", "c3"]])
    records, rows = _records_and_rows(data, "roster.xlsx", ("batch", "member"))
    assert records == rows == [("c1", "asha@example.com"), ("", "42"), ("c3", "")]  # a formula without a value: ""
