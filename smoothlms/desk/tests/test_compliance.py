"""The Employee Compliance desk pages (HR Manager, System Manager)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory
from smoothlms.training.models import TrainingAssignment
from smoothlms.training.services import record_course_completion
from smoothlms.training.tests.factories import certificate_course, complete

pytestmark = [pytest.mark.django_db]
TODAY = timezone.localdate()


@pytest.fixture
def ledger():
    ada = EmployeeFactory(employee="HR-1", employee_name="Ada Lovelace", department="Engineering", user=UserFactory())
    course = certificate_course(title="Fire Safety", control_id="ISO45001-7.2")
    TrainingAssignment.objects.create(user=ada.user, course=course, due_date=TODAY)
    complete(ada.user, course)
    record_course_completion(member=ada.user, course=course, actor=None)
    alan = EmployeeFactory(employee="HR-2", employee_name="Alan Turing", department="Sales", user=UserFactory())
    TrainingAssignment.objects.create(
        user=alan.user, course=CourseFactory(title="Code of Conduct"), due_date=TODAY - dt.timedelta(days=4)
    )
    return ada, alan


@pytest.fixture
def hr_client(client):
    client.force_login(UserFactory(roles=[Role.HR_MANAGER]))
    return client


def test_hr_manager_sees_the_ledger(hr_client, ledger):
    page = hr_client.get("/app/employee-compliance").content.decode()
    assert 'data-employee="HR-1" data-status="compliant"' in page
    assert 'data-employee="HR-2" data-status="overdue"' in page
    filtered = hr_client.get("/app/employee-compliance?attention=1").content.decode()
    assert "HR-2" in filtered and 'data-employee="HR-1"' not in filtered


def test_the_employee_page_shows_status_control_and_evidence(hr_client, ledger):
    ada, _ = ledger
    response = hr_client.get("/app/employee-compliance/HR-1")
    page = response.content.decode()
    certificate = ada.user.certificates.get()
    assert 'data-status="compliant"' in page and "ISO45001-7.2" in page
    assert f'href="/lms/certificates/{certificate.name}.pdf"' in page
    assert hr_client.get("/app/employee-compliance/HR-NOPE").status_code == 404


def test_the_ledger_downloads_as_csv(hr_client, ledger):
    response = hr_client.get("/app/employee-compliance?format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("employee,employee_name,department")
    assert "HR-1,Ada Lovelace,Engineering" in text and "ISO45001-7.2" in text


def test_other_staff_roles_are_refused(client, ledger):
    client.force_login(UserFactory(roles=[Role.MODERATOR]))
    assert client.get("/app/employee-compliance").status_code == 403
    assert client.get("/app/employee-compliance/HR-1").status_code == 403
    client.force_login(UserFactory())
    assert client.get("/app/employee-compliance").status_code in (302, 403)


def test_the_ledger_page_is_a_fixed_number_of_queries(hr_client, ledger, django_assert_max_num_queries):
    hr_client.get("/app/employee-compliance")
    with django_assert_max_num_queries(16) as before:
        hr_client.get("/app/employee-compliance")
    for i in range(10):
        person = EmployeeFactory(user=UserFactory())
        TrainingAssignment.objects.create(user=person.user, course=CourseFactory(), due_date=TODAY)
    with django_assert_max_num_queries(len(before.captured_queries)):
        hr_client.get("/app/employee-compliance")
