"""An HR import changes only the columns its file has (CONTRACT.md section 10): a column missing
from the file leaves that field as it is."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from smoothlms.hr.records import parse_record
from smoothlms.hr.services import provision_employees
from smoothlms.people.models import Employee, User
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def _import(path) -> None:
    call_command("import_employees", str(path), "--no-invite", "--force", stdout=io.StringIO())


@pytest.fixture
def stored():
    user = UserFactory(email="ana@example.com")
    return EmployeeFactory(
        employee="HR-1",
        employee_name="Ana",
        company_email="ana@example.com",
        user=user,
        employment_type="Full-time",
        designation="Engineer",
        department="Engineering",
        date_of_joining=dt.date(2024, 1, 15),
    )


def test_a_file_without_employment_type_and_designation_keeps_them(tmp_path, stored):
    path = tmp_path / "hr.csv"
    path.write_text("ID,Full Name,Company Email,Status,Department\nHR-1,Ana Lima,ana@example.com,Active,Sales\n")
    _import(path)
    employee = Employee.objects.get(employee="HR-1")
    assert (employee.employee_name, employee.department) == ("Ana Lima", "Sales")
    assert (employee.employment_type, employee.designation) == ("Full-time", "Engineer")


def test_a_minimal_leaver_file_keeps_department_and_date_of_joining(tmp_path, stored):
    path = tmp_path / "leavers.csv"
    path.write_text("ID,Status,Relieving Date\nHR-1,Left,2025-02-28\n")
    _import(path)
    employee = Employee.objects.get(employee="HR-1")
    assert (employee.status, employee.relieving_date) == ("Left", dt.date(2025, 2, 28))
    assert (employee.department, employee.date_of_joining) == ("Engineering", dt.date(2024, 1, 15))
    assert (employee.employee_name, employee.company_email, employee.employment_type) == (
        "Ana",
        "ana@example.com",
        "Full-time",
    )
    assert not User.objects.get(email="ana@example.com").enabled  # the leaver is still offboarded


def test_a_blank_cell_of_a_column_the_file_has_still_clears_the_field(tmp_path, stored):
    path = tmp_path / "hr.csv"
    path.write_text("ID,Full Name,Company Email,Status,Designation\nHR-1,Ana,ana@example.com,Active,\n")
    _import(path)
    assert Employee.objects.get(employee="HR-1").designation == ""


def test_a_record_without_given_fields_replaces_them_all(stored):
    """The API and the webhook send whole documents: a missing key is blank there."""
    record = parse_record(
        {"employee": "HR-1", "employee_name": "Ana", "company_email": "ana@example.com", "status": "Active"}
    )
    report = provision_employees(records=[record], actor=None, source="api")
    assert report.rows[0].action == "update"
    employee = Employee.objects.get(employee="HR-1")
    assert (employee.designation, employee.employment_type) == ("", "")
