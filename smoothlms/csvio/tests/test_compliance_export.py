"""`smoothlms export employee-compliance`: the ledger, with passing quiz submissions as evidence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from smoothlms.assessments.tests.factories import recorded_submission
from smoothlms.csvio.exports import ExportFilters, export_lines, get_export
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory
from smoothlms.training.compliance import EMPLOYEE_COMPLIANCE_HEADER
from smoothlms.training.models import TrainingAssignment
from smoothlms.training.services import record_course_completion
from smoothlms.training.tests.factories import certificate_course, complete

pytestmark = pytest.mark.django_db


def test_employee_compliance_exports_the_ledger_with_quiz_evidence():
    person = EmployeeFactory(employee="HR-9", employee_name="Grace Hopper", user=UserFactory(email="grace@example.com"))
    course = certificate_course(title="Fire Safety", control_id="ISO45001-7.2")
    TrainingAssignment.objects.create(user=person.user, course=course, due_date=timezone.localdate())
    complete(person.user, course)
    record_course_completion(member=person.user, course=course, actor=None)
    quiz = recorded_submission(
        member=person.user, course=course, score=9, score_out_of=10, percentage=Decimal("90"), passed=True
    )
    assert get_export("employee-compliance").header == EMPLOYEE_COMPLIANCE_HEADER
    lines = list(export_lines("employee-compliance", ExportFilters(member="grace@example.com")))
    assert lines[0].startswith("employee,employee_name")
    (row,) = lines[1:]
    assert row.startswith("HR-9,Grace Hopper,") and "ISO45001-7.2,compliant" in row
    assert f"/api/v1/quiz-submissions/{quiz.pk}.pdf" in row
    assert list(export_lines("employee-compliance", ExportFilters(member="nobody@example.com")))[1:] == []
