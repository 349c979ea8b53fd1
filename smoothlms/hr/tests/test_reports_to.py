"""The manager of each employee (Employee.reports_to, the manager's HR id) from every HR path: the
export's `Reports To` column, the Frappe HRMS field `reports_to`, the API."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from smoothlms.hr.records import parse_record
from smoothlms.hr.services import provision_employee
from smoothlms.people.models import Employee
from smoothlms.people.roles import Role
from smoothlms.people.services import issue_api_key
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_import_reads_the_reports_to_column(tmp_path):
    path = tmp_path / "employees.csv"
    path.write_text(
        "ID,Full Name,Company Email,Status,Reports To\n"
        "HR-MGR-1,Maya Manager,maya@example.com,Active,\n"
        "HR-1,Ada Lovelace,ada@example.com,Active, HR-MGR-1 \n",
        encoding="utf-8",
    )
    call_command("import_employees", str(path), "--no-invite", stdout=io.StringIO())
    assert dict(Employee.objects.values_list("employee", "reports_to")) == {"HR-MGR-1": "", "HR-1": "HR-MGR-1"}


def test_a_frappe_document_carries_reports_to():
    record = parse_record(
        {
            "name": "HR-1",
            "employee_name": "Ada",
            "status": "Active",
            "reports_to": "HR-MGR-1",
            "company_email": "ada@example.com",
        }
    )
    employee, _ = provision_employee(record=record, actor=None, source="webhook")
    assert employee.reports_to == "HR-MGR-1"
    changed, action = provision_employee(
        record=parse_record(
            {
                "name": "HR-1",
                "employee_name": "Ada",
                "status": "Active",
                "reports_to": "HR-MGR-2",
                "company_email": "ada@example.com",
            }
        ),
        actor=None,
        source="webhook",
    )
    assert (changed.reports_to, action) == ("HR-MGR-2", "update")


def test_the_api_takes_and_shows_reports_to(client):
    hr = UserFactory(roles=[Role.HR_MANAGER])
    headers = {"HTTP_AUTHORIZATION": f"token {issue_api_key(user=hr)}"}
    body = {
        "employee": "HR-1",
        "employee_name": "Ada",
        "status": "Active",
        "company_email": "ada@example.com",
        "reports_to": "HR-MGR-1",
    }
    response = client.post("/api/v1/employees", data=json.dumps(body), content_type="application/json", **headers)
    assert response.status_code == 201 and response.json()["data"]["reports_to"] == "HR-MGR-1"
