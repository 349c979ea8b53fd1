"""How many statements one self-enrollment over the API costs, the caller's authentication
included: counted here so that a change that adds one is seen (bench/cases/http_self_enroll.py
measures what they cost under load)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.people.tests.factories import UserFactory

_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE\s+SAVEPOINT)\b", re.IGNORECASE)


# The caller (their token, with their user); one read, before any transaction, of the cohort by name
# with its first unpublished course (which also answers whether they may see it: a published cohort
# needs no look at their roles) and of the member's role, HR record and row in the cohort; then the
# seat, the enrollment, its course access and its audit event: one statement on PostgreSQL, run in
# autocommit (enrollment.services.single_statement), four in a transaction elsewhere. After commit,
# the confirmation email's task (run at once by the tests' task backend: its statements are the
# email's own).
def enrolled_statements() -> int:
    return 1 + 1 + (1 if connection.vendor == "postgresql" else 4)


# The caller and that one read: a refusal opens no transaction and writes nothing.
REFUSED_STATEMENTS = 1 + 1


def _posted(caller, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = caller.post(path)
    return response.status_code, [q["sql"] for q in captured.captured_queries if not _CONTROL.match(q["sql"])]


@pytest.mark.django_db(transaction=True)
def test_a_self_enrollment_costs_three_statements_on_postgresql_six_elsewhere(api, student):
    batch = BatchFactory(seat_count=5, courses=[CourseFactory(), CourseFactory()])
    status, statements = _posted(api(student), f"/batches/{batch.name}/enroll")
    assert status == 201
    audited = next(i for i, sql in enumerate(statements) if "INSERT INTO" in sql and "core_enrollmentevent" in sql)
    assert len(statements[: audited + 1]) == enrolled_statements(), "\n".join(statements)
    assert not any("SAVEPOINT" in sql.upper() for sql in statements)


@pytest.mark.django_db(transaction=True)
def test_a_refused_self_enrollment_reads_and_writes_nothing(api, student):
    batch = BatchFactory(seat_count=1, courses=[CourseFactory()])
    api(UserFactory()).post(f"/batches/{batch.name}/enroll")
    status, statements = _posted(api(student), f"/batches/{batch.name}/enroll")
    assert status == 409
    assert len(statements) == REFUSED_STATEMENTS, "\n".join(statements)
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in statements), "\n".join(statements)
    assert not BatchEnrollment.objects.filter(batch=batch, member=student).exists()
