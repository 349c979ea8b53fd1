"""`smoothlms import_employees`: the HR export through the provisioning service."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from smoothlms.people.models import Employee, User
from smoothlms.people.roles import Role
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

LABELS = [
    "ID",
    "Full Name",
    "Company Email",
    "Personal Email",
    "User ID",
    "Status",
    "Date of Joining",
    "Relieving Date",
    "Employment Type",
    "Department",
    "Designation",
]
FIELDNAMES = [
    "employee",
    "employee_name",
    "company_email",
    "personal_email",
    "user_id",
    "status",
    "date_of_joining",
    "relieving_date",
    "employment_type",
    "department",
    "designation",
]


def write_csv(path, rows, header=LABELS, bom=False):
    lines = [",".join(header)] + [",".join(row) for row in rows]
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def row(
    hr_id,
    name="",
    company="",
    personal="",
    user_id="",
    status="Active",
    joined="2024-01-15",
    relieved="",
    kind="Full-time",
    department="Engineering",
    designation="Engineer",
):
    return [
        hr_id,
        name or f"Person {hr_id}",
        company,
        personal,
        user_id,
        status,
        joined,
        relieved,
        kind,
        department,
        designation,
    ]


def run_import(capsys, path, *args):
    out = io.StringIO()
    code = 0
    try:
        call_command("import_employees", str(path), *args, stdout=out)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), capsys.readouterr().err


def test_import_provisions_each_case_and_reports_per_row(tmp_path, capsys):
    alias = UserFactory(email="ana@example.com")
    leaving = UserFactory(email="leo@example.com")
    EmployeeFactory(employee="HR-4", company_email="leo@example.com", user=leaving)
    rehired = UserFactory(email="rita@example.com")
    set_user_enabled(user=rehired, enabled=False, actor=None)
    EmployeeFactory(employee="HR-OLD", company_email="rita@example.com", user=rehired, status="Left")
    taken = UserFactory(email="taken@example.com")
    EmployeeFactory(employee="HR-T", company_email="taken@example.com", user=taken)
    path = write_csv(
        tmp_path / "hr.csv",
        [
            row("HR-1", company="new@example.com"),
            row("HR-2", company=" ANA@Example.COM "),
            row("HR-3", personal="rita@example.com"),
            row("HR-4", company="leo@example.com", status="Left", relieved="2024-06-30"),
            row("HR-5", company="intern@example.com", kind="Intern"),
            row("HR-6", company="taken@example.com"),
            row("HR-7", status="Active"),
        ],
    )
    code, out, err = run_import(capsys, path, "--force")  # 1 of 2 employee users disabled: over the threshold
    assert code == 1  # one row failed, the others are applied
    assert out.splitlines() == [
        "row 2: HR-1: create: new user new@example.com, set-password email to follow",
        "row 3: HR-2: create: linked to the existing user ana@example.com",
        "row 4: HR-3: rehire: user rita@example.com enabled again; linked to the existing user rita@example.com",
        "row 5: HR-4: disable: user leo@example.com disabled; changed: employee_name, status, date_of_joining, "
        "relieving_date, employment_type, department, designation",
        "row 6: HR-5: create: new user intern@example.com, set-password email to follow",
        "row 7: HR-6: error: user_linked_to_other_employee: The user taken@example.com is already linked to the "
        "active employee HR-T.",
        "row 8: HR-7: create: no user (no email)",
        "created=4 updated=0 rehired=1 disabled=1 unchanged=0 failed=1",
    ]
    assert err == ""
    users = dict(Employee.objects.values_list("employee", "user__email"))
    assert users["HR-1"] == "new@example.com" and users["HR-2"] == "ana@example.com"
    assert users["HR-3"] == "rita@example.com" and users["HR-5"] == "intern@example.com" and users["HR-7"] is None
    assert "HR-6" not in users
    assert User.objects.get(pk=alias.pk).role_names == {Role.LMS_STUDENT}
    assert User.objects.get(pk=rehired.pk).enabled and not User.objects.get(pk=leaving.pk).enabled
    assert User.objects.filter(email="new@example.com", groups__name=Role.LMS_STUDENT).exists()


def test_reimporting_the_same_file_writes_nothing(tmp_path, capsys):
    path = write_csv(
        tmp_path / "hr.csv",
        [row(f"HR-{n}", company=f"p{n}@example.com") for n in range(30)]
        + [row("HR-L", company="l@example.com", status="Left", relieved="2024-02-01")],
    )
    assert run_import(capsys, path)[0] == 0
    stamps = dict(Employee.objects.values_list("employee", "updated_at"))
    users = dict(User.objects.values_list("email", "updated_at"))
    with CaptureQueriesContext(connection) as ctx:
        code, out, _ = run_import(capsys, path)
    assert code == 0
    assert out == "created=0 updated=0 rehired=0 disabled=0 unchanged=31 failed=0\n"
    writes = [
        q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert dict(Employee.objects.values_list("employee", "updated_at")) == stamps
    assert dict(User.objects.values_list("email", "updated_at")) == users


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, capsys):
    EmployeeFactory(
        employee="HR-2",
        employee_name="Person HR-2",
        company_email="b@example.com",
        date_of_joining=dt.date(2024, 1, 15),
        department="Sales",
        designation="Engineer",
        employment_type="Full-time",
    )
    path = write_csv(
        tmp_path / "hr.csv",
        [row("HR-1", company="a@example.com"), row("HR-2", company="b@example.com"), row("HR-3", company="bad email")],
    )
    code, out, _ = run_import(capsys, path, "--dry-run")
    assert code == 1
    assert out.splitlines() == [
        "row 2: HR-1: create: new user a@example.com, set-password email to follow",
        "row 3: HR-2: update: new user b@example.com, set-password email to follow; changed: department",
        "row 4: HR-3: error: invalid_email: bad email is not a valid email address.",
        "created=1 updated=1 rehired=0 disabled=0 unchanged=0 failed=1 (dry run)",
    ]
    assert not User.objects.exists()
    assert list(Employee.objects.values_list("employee", "department")) == [("HR-2", "Sales")]


def test_threshold_stops_the_import_unless_forced(tmp_path, capsys):
    for n in range(5):
        EmployeeFactory(employee=f"HR-{n}", user=UserFactory(email=f"p{n}@example.com"))
    path = write_csv(
        tmp_path / "hr.csv", [row(f"HR-{n}", company=f"p{n}@example.com", status="Left") for n in range(2)]
    )
    code, out, err = run_import(capsys, path)
    assert code == 2
    assert out == ""
    assert err == (
        "error: too_many_disables: This import would disable 2 of 5 enabled employee users (more than "
        "20%). Check the file, or run it again with --force.\n"
    )
    assert User.objects.filter(enabled=True).count() == 5
    code, out, _ = run_import(capsys, path, "--dry-run")
    assert code == 2 and out.endswith("created=0 updated=0 rehired=0 disabled=2 unchanged=0 failed=0 (dry run)\n")
    code, out, _ = run_import(capsys, path, "--force")
    assert code == 0
    assert User.objects.filter(enabled=True).count() == 3


def test_fieldnames_in_any_case_bom_and_day_first_dates(tmp_path, capsys):
    header = [name.upper() for name in FIELDNAMES]
    path = write_csv(
        tmp_path / "hr.csv",
        [row("HR-1", company="a@example.com", joined="15-01-2024", relieved="31-12-2099")],
        header=header,
        bom=True,
    )
    code, out, _ = run_import(capsys, path)
    assert code == 0, out
    employee = Employee.objects.get()
    assert (employee.date_of_joining, employee.relieving_date) == (dt.date(2024, 1, 15), dt.date(2099, 12, 31))
    assert employee.user.email == "a@example.com"


def test_xlsx_export(tmp_path, capsys):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "full name", "company email", "Status", "Date of Joining", "Employment Type"])
    sheet.append(["HR-1", "Ana", "ana@example.com", "Active", dt.datetime(2024, 3, 1), "Contract"])
    sheet.append([None, None, None, None, None, None])
    sheet.append([1234, "Numeric Id", "n@example.com", "Active", "2024-03-02", "Intern"])
    workbook.save(tmp_path / "hr.xlsx")
    code, out, _ = run_import(capsys, tmp_path / "hr.xlsx")
    assert code == 0, out
    assert dict(Employee.objects.values_list("employee", "employment_type")) == {"HR-1": "Contract", "1234": "Intern"}
    assert Employee.objects.get(employee="HR-1").date_of_joining == dt.date(2024, 3, 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,email\nx,y\n", "error: missing_column: The file has no ID column: add a header named ID or employee."),
        (b"", "error: empty_file: The file is empty: it has no header row."),
        (b"ID,Status\n\xff\xfe\n", "error: file_not_utf8: The file is not UTF-8 text: byte 0xFF on line 2"),
    ],
)
def test_unusable_file_exits_2_and_applies_nothing(tmp_path, capsys, content, message):
    (tmp_path / "hr.csv").write_bytes(content)
    code, out, err = run_import(capsys, tmp_path / "hr.csv")
    assert code == 2
    assert err.startswith(message)
    assert not Employee.objects.exists()


def test_missing_file_exits_2(tmp_path, capsys):
    code, _, err = run_import(capsys, tmp_path / "nope.csv")
    assert code == 2 and err.startswith("error: file_unusable: No file at ")


def test_row_errors_name_the_problem(tmp_path, capsys):
    path = write_csv(
        tmp_path / "hr.csv",
        [
            row("", company="a@example.com"),
            row("HR-2", status="Retired"),
            row("HR-3", joined="2024-13-01"),
            row("HR-4", joined="2024-05-01", relieved="2024-04-01"),
        ],
    )
    code, out, _ = run_import(capsys, path, "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert [(r["row"], r["code"], r["message"]) for r in report["rows"]] == [
        (2, "missing_field", "ID is required."),
        (3, "invalid_status", "Status Retired is not one of Active, Inactive, Suspended, Left."),
        (4, "invalid_date", "Date of Joining 2024-13-01 is not a date (use YYYY-MM-DD or DD-MM-YYYY)."),
        (5, "relieving_before_joining", "Relieving Date 2024-04-01 is before Date of Joining 2024-05-01."),
    ]
    assert report["failed"] == 4 and report["created"] == 0
