"""HR documents apply only when newer than the stored `modified` (a conditional write)."""

from __future__ import annotations

import datetime as dt

import pytest

from smoothlms.core.models import EnrollmentEvent
from smoothlms.hr.records import EmployeeRecord
from smoothlms.hr.services import provision_employee, provision_employees
from smoothlms.hr.services.plan import plan_records
from smoothlms.hr.services.provision import WRITE_CHUNK
from smoothlms.hr.services.write import write_chunk
from smoothlms.hr.tests.factories import record
from smoothlms.people.models import Employee, User

pytestmark = pytest.mark.django_db

T1 = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)
T2 = T1 + dt.timedelta(hours=1)


def _at(moment: dt.datetime, **fields) -> EmployeeRecord:
    fields.setdefault("company_email", "ana@example.com")
    return record("HR-1", modified_in_hr=moment, **fields)


def test_an_older_or_equal_document_changes_nothing():
    provision_employee(record=_at(T1), actor=None, source="webhook")
    provision_employee(record=_at(T2, status="Left"), actor=None, source="webhook")
    before = (
        list(Employee.objects.values()),
        list(User.objects.values("pk", "enabled")),
        EnrollmentEvent.objects.count(),
    )
    for moment in (T1, T2):
        employee, action = provision_employee(record=_at(moment, department="Sales"), actor=None, source="webhook")
        assert action == "unchanged"
    assert (
        list(Employee.objects.values()),
        list(User.objects.values("pk", "enabled")),
        EnrollmentEvent.objects.count(),
    ) == before
    assert not User.objects.get(email="ana@example.com").enabled


def test_a_newer_document_applies():
    provision_employee(record=_at(T1), actor=None, source="webhook")
    employee, action = provision_employee(record=_at(T2, department="Sales"), actor=None, source="webhook")
    assert action == "update" and employee.department == "Sales" and employee.modified_in_hr == T2


def test_a_document_without_modified_still_applies():
    provision_employee(record=_at(T2), actor=None, source="webhook")
    employee, action = provision_employee(
        record=record("HR-1", company_email="ana@example.com", department="X"), actor=None, source="api"
    )
    assert action == "update" and employee.modified_in_hr == T2


def test_the_write_is_conditional_not_a_read_then_a_write():
    """An older document planned before a newer one was stored (two requests at once) changes nothing."""
    provision_employee(record=_at(T1), actor=None, source="webhook")
    stale_plans = plan_records(
        [_at(T1 + dt.timedelta(minutes=30), status="Active", department="Old")], today=dt.date.today()
    )
    provision_employee(record=_at(T2, status="Left"), actor=None, source="webhook")  # lands first
    events = EnrollmentEvent.objects.count()
    write_chunk(stale_plans, actor=None, source="webhook", now=T2, invite=False)
    assert stale_plans[0].outcome.action == "unchanged"
    employee = Employee.objects.get(employee="HR-1")
    assert (employee.status, employee.department, employee.modified_in_hr) == ("Left", "", T2)
    assert not User.objects.get(email="ana@example.com").enabled
    assert EnrollmentEvent.objects.count() == events
    assert WRITE_CHUNK  # the service writes in chunks of this size through write_chunk


def test_a_run_reports_the_older_rows_unchanged():
    provision_employees(records=[_at(T2)], actor=None, source="hrms_sync")
    report = provision_employees(records=[_at(T1, status="Left")], actor=None, source="hrms_sync")
    assert report.rows[0].action == "unchanged"
    assert "not newer" in report.rows[0].message
