"""Factories of HR records for tests."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from smoothlms.hr.records import EmployeeRecord


def record(employee: str, **fields) -> EmployeeRecord:
    """An HR record as every path hands it to the service: Active unless told otherwise."""
    fields.setdefault("employee_name", f"Person {employee}")
    fields.setdefault("status", "Active")
    fields.setdefault("date_of_joining", timezone.localdate() - dt.timedelta(days=400))
    return EmployeeRecord(employee=employee, **fields)
