"""The ledger on the site's own routes: /app/employee-compliance shows each employee's status per
required course, links to their ledger, downloads as CSV, and is in the desk's navigation."""

from __future__ import annotations

import pytest
from django.utils import timezone

from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory
from smoothlms.training.models import TrainingAssignment
from smoothlms.training.services import record_course_completion
from smoothlms.training.tests.factories import certificate_course, complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    person = EmployeeFactory(
        employee="HR-1", employee_name="Ada Lovelace", department="Engineering", user=UserFactory()
    )
    course = certificate_course(title="Fire Safety", control_id="ISO45001-7.2")
    TrainingAssignment.objects.create(user=person.user, course=course, due_date=timezone.localdate())
    complete(person.user, course)
    record_course_completion(member=person.user, course=course, actor=None)
    return person


def test_the_ledger_page_links_to_the_employee_ledger_and_the_csv(client, ada):
    client.force_login(UserFactory(roles=[Role.HR_MANAGER]))
    page = client.get("/app/employee-compliance").content.decode()
    assert 'href="/app/employee-compliance/HR-1"' in page and 'href="?format=csv"' in page
    assert 'data-employee="HR-1" data-status="compliant"' in page
    assert 'href="/app/employee-compliance" aria-current="page"' in page
    detail = client.get("/app/employee-compliance/HR-1").content.decode()
    assert 'data-status="compliant"' in detail and "ISO45001-7.2" in detail
    response = client.get("/app/employee-compliance?format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "HR-1,Ada Lovelace,Engineering" in text


def test_the_employee_ledger_is_refused_to_other_staff(client, ada):
    client.force_login(UserFactory(roles=[Role.MODERATOR]))
    assert client.get("/app/employee-compliance/HR-1").status_code == 403
    assert client.get("/app/employee-compliance?format=csv").status_code == 403
