"""/app/employee: filters (date of joining from/to, department, status, employment type) and the
filtered list's export as CSV and XLSX in the HR employee export's format, which the roster import
and `smoothlms import_employees` read back as they are."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.csvio.enrollments import import_enrollments, read_enrollment_file
from smoothlms.desk.tests.conftest import messages_of
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.hr.services import provision_employee
from smoothlms.hr.tests.factories import record
from smoothlms.people.models import User
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADER = [
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
    "Reports To",
]


@pytest.fixture
def hr_client(client, db):
    client.force_login(UserFactory(email="hr@example.com", roles=[Role.HR_MANAGER]))
    return client


@pytest.fixture
def staff(db):
    """Four employees (three with users) across departments, statuses, types and joining dates."""
    people = [
        record(
            "HR-1",
            employee_name="Asha Rao",
            company_email="asha@corp.com",
            department="Engineering",
            employment_type="Full-time",
            date_of_joining=dt.date(2024, 1, 15),
            designation="Engineer",
        ),
        record(
            "HR-2",
            employee_name="Ben Ode",
            company_email="ben@corp.com",
            department="Engineering",
            employment_type="Intern",
            date_of_joining=dt.date(2024, 6, 1),
        ),
        record(
            "HR-3",
            employee_name='=HYPERLINK("http://evil.example")',
            personal_email="cy@home.example",
            department="Sales",
            employment_type="Full-time",
            date_of_joining=dt.date(2025, 2, 10),
        ),
        record(
            "HR-4",
            employee_name="Dee Left",
            department="Sales",
            status="Left",
            date_of_joining=dt.date(2023, 3, 1),
            relieving_date=dt.date(2024, 3, 1),
        ),
    ]
    for person in people:
        provision_employee(record=person, actor=None, source="api")


def listed(client, query: str = "") -> list[str]:
    response = client.get(f"/app/employee?{query}")
    assert response.status_code == 200
    return sorted(e.employee for e in response.context["cl"].result_list)


def test_the_list_filters_by_a_date_of_joining_range(hr_client, staff):
    assert listed(hr_client, "date_of_joining__gte=2024-01-15&date_of_joining__lte=2024-06-01") == ["HR-1", "HR-2"]
    assert listed(hr_client, "date_of_joining__gte=2024-06-02") == ["HR-3"]
    assert listed(hr_client, "date_of_joining__lte=2023-12-31") == ["HR-4"]


def test_the_list_filters_by_department_status_and_employment_type(hr_client, staff):
    assert listed(hr_client, "department=Sales") == ["HR-3", "HR-4"]
    assert listed(hr_client, "status__exact=Left") == ["HR-4"]
    assert listed(hr_client, "employment_type=Intern") == ["HR-2"]
    assert listed(hr_client, "department=Engineering&employment_type=Full-time") == ["HR-1"]


def test_the_range_filter_shows_its_date_inputs_keeping_the_other_filters(hr_client, staff):
    html = hr_client.get("/app/employee?department=Sales&date_of_joining__gte=2024-01-01").content.decode()
    assert 'type="date" name="date_of_joining__gte" value="2024-01-01"' in html
    assert 'name="date_of_joining__lte"' in html
    assert '<input type="hidden" name="department" value="Sales">' in html


def test_a_day_that_is_not_a_date_is_named_and_not_applied(hr_client, staff):
    response = hr_client.get("/app/employee?date_of_joining__gte=15/01/2024")
    assert response.status_code == 200
    assert "Date of joining from: 15/01/2024 is not a date (use YYYY-MM-DD)." in messages_of(response)
    assert len(response.context["cl"].result_list) == 4


def test_a_range_that_ends_before_it_starts_is_refused(hr_client, staff):
    response = hr_client.get("/app/employee?date_of_joining__gte=2025-01-01&date_of_joining__lte=2024-01-01")
    assert any("the range ends (2024-01-01) before it starts (2025-01-01)" in m for m in messages_of(response))
    assert len(response.context["cl"].result_list) == 4


def csv_rows(response) -> list[list[str]]:
    import csv

    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_csv_export_is_the_filtered_list_in_the_hr_export_format(hr_client, staff):
    response = hr_client.get("/app/employee/export/csv?department=Engineering&date_of_joining__gte=2024-02-01")
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="employees-' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == HEADER
    assert rows[1:] == [
        [
            "HR-2",
            "Ben Ode",
            "ben@corp.com",
            "",
            "ben@corp.com",
            "Active",
            "2024-06-01",
            "",
            "Intern",
            "Engineering",
            "",
            "",
        ]
    ]


def test_the_export_is_formula_safe(hr_client, staff):
    rows = csv_rows(hr_client.get("/app/employee/export/csv?department=Sales&status__exact=Active"))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example")'
    sheet = load_workbook(io.BytesIO(hr_client.get("/app/employee/export/xlsx?department=Sales").content)).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_the_xlsx_export_has_the_same_columns_and_rows(hr_client, staff):
    response = hr_client.get("/app/employee/export/xlsx?employment_type=Full-time")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADER
    assert [row[0] for row in rows[1:]] == ["HR-1", "HR-3"]
    assert rows[1][6].date() == dt.date(2024, 1, 15)


def test_the_list_offers_both_exports_with_its_filters(hr_client, staff):
    html = hr_client.get("/app/employee?department=Sales").content.decode()
    assert 'href="/app/employee/export/csv?department=Sales"' in html
    assert 'href="/app/employee/export/xlsx?department=Sales"' in html


def test_students_cannot_export_employees(client, staff):
    client.force_login(UserFactory(email="student@example.com"))
    assert client.get("/app/employee/export/csv").status_code == 403


# CONTRACT.md section 7: "An HR employee export is accepted as a roster as it is".
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_roster_import_accepts_the_export_as_it_is(hr_client, staff, fmt):
    cohort = BatchFactory(name="onboarding", courses=[CourseFactory()], seat_count=None)
    content = hr_client.get(f"/app/employee/export/{fmt}?status__exact=Active")
    data = b"".join(content.streaming_content) if fmt == "csv" else content.content
    table = read_enrollment_file(data, filename=f"employees.{fmt}")
    report = import_enrollments(table, actor=UserFactory(roles=[Role.MODERATOR]), batch=cohort)
    assert (report.created, report.failed) == (3, 0)
    assert sorted(BatchEnrollment.objects.values_list("member__email", flat=True)) == [
        "asha@corp.com",
        "ben@corp.com",
        "cy@home.example",
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_employees_reads_the_export_back_unchanged(hr_client, staff, fmt, tmp_path):
    # Engineering: the Sales file has a name defused against formulas, which reads back with its quote.
    content = hr_client.get(f"/app/employee/export/{fmt}?department=Engineering")
    path = tmp_path / f"employees.{fmt}"
    path.write_bytes(b"".join(content.streaming_content) if fmt == "csv" else content.content)
    out = io.StringIO()
    call_command("import_employees", str(path), "--dry-run", "--format", "json", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["failed"], result["unchanged"]) == (0, 2), result["rows"]


def test_the_list_links_each_employees_user_to_its_desk_address(hr_client, staff):
    html = hr_client.get("/app/employee").content.decode()
    asha = User.objects.get(email="asha@corp.com")
    assert f'<a href="/app/user/{asha.pk}">asha@corp.com</a>' in html
    assert "<h1>Employees</h1>" in html
