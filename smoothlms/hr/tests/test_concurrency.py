"""Two deliveries of the same HR record at once (a webhook retried, the sync and an import): one
employee, one user, no error."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from smoothlms.core.testing import run_in_threads
from smoothlms.hr.services import provision_employee
from smoothlms.hr.tests.factories import record
from smoothlms.people.models import Employee, User

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_same_new_employee_provisioned_twice_at_once_makes_one_employee_and_one_user():
    actions = []

    def deliver(_):
        try:
            _, action = provision_employee(
                record=record("HR-1", company_email="a@example.com"), actor=None, source="webhook", onboard=False
            )
            actions.append(action)
        finally:
            connection.close()

    run_in_threads(deliver, range(2))
    assert sorted(actions) == ["create", "unchanged"]
    assert Employee.objects.count() == 1 and User.objects.count() == 1
    assert Employee.objects.get().user.email == "a@example.com"


def test_an_older_and_a_newer_document_at_once_leave_the_newer():
    t1 = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)
    provision_employee(
        record=record("HR-1", company_email="a@example.com", modified_in_hr=t1),
        actor=None,
        source="webhook",
        onboard=False,
    )
    older, newer = t1 + dt.timedelta(minutes=1), t1 + dt.timedelta(hours=1)
    documents = [
        record("HR-1", company_email="a@example.com", department="Old", modified_in_hr=older),
        record("HR-1", company_email="a@example.com", status="Left", modified_in_hr=newer),
    ]

    def deliver(document):
        try:
            provision_employee(record=document, actor=None, source="webhook", onboard=False)
        finally:
            connection.close()

    run_in_threads(deliver, documents)
    employee = Employee.objects.select_related("user").get()
    assert (employee.status, employee.modified_in_hr) == ("Left", newer)
    assert not employee.user.enabled
