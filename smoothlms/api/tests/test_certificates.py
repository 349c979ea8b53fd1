"""GET /api/v1/me/certificates and GET /api/v1/employees/{employee}/compliance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from smoothlms.assessments.tests.factories import recorded_submission
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory
from smoothlms.training.models import TrainingAssignment
from smoothlms.training.services import issue_certificate, record_course_completion
from smoothlms.training.tests.factories import certificate_course, complete

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
CERTIFICATE_FIELDS = ["name", "member", "course", "batch", "issue_date", "expiry_date", "valid"]


@pytest.fixture
def holder():
    return UserFactory(email="ada@example.com")


def test_my_certificates_have_exactly_the_contract_fields(api, holder):
    course = certificate_course(name="fire-safety", validity_months=12)
    batch = BatchFactory(name="new-hires", courses=[course])
    complete(holder, course, batch=batch)
    old = issue_certificate(member=holder, course=course, actor=None, on=dt.date(2020, 1, 31))
    new = issue_certificate(member=holder, course=course, actor=None, on=TODAY)
    other = UserFactory()
    complete(other, course)
    issue_certificate(member=other, course=course, actor=None)
    body = api(holder).get("/me/certificates").json()
    assert body["count"] == 2
    latest, first = body["data"]
    assert list(latest) == CERTIFICATE_FIELDS
    assert latest == {
        "name": new.name,
        "member": "ada@example.com",
        "course": "fire-safety",
        "batch": "new-hires",
        "issue_date": TODAY.isoformat(),
        "expiry_date": new.expiry_date.isoformat(),
        "valid": True,
    }
    assert (first["name"], first["expiry_date"], first["valid"]) == (old.name, "2021-01-31", False)


def test_my_certificates_needs_credentials(api):
    response = api().get("/me/certificates")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


@pytest.fixture
def employee_with_evidence():
    person = EmployeeFactory(employee="HR-EMP-0007", employee_name="Ada Lovelace", user=UserFactory())
    course = certificate_course(name="fire-safety", title="Fire Safety", control_id="ISO45001-7.2")
    TrainingAssignment.objects.create(user=person.user, course=course, due_date=TODAY)
    complete(person.user, course)
    record_course_completion(member=person.user, course=course, actor=None)
    quiz = recorded_submission(
        member=person.user, course=course, quiz="Final", score=9, score_out_of=10, percentage=Decimal("90"), passed=True
    )
    TrainingAssignment.objects.create(
        user=person.user, course=CourseFactory(name="conduct"), due_date=TODAY - dt.timedelta(days=2)
    )
    return person, quiz


def test_hr_manager_reads_an_employees_compliance(api, employee_with_evidence):
    person, quiz = employee_with_evidence
    response = api(UserFactory(roles=[Role.HR_MANAGER])).get("/employees/HR-EMP-0007/compliance")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["employee"], data["employee_name"], data["status"]) == ("HR-EMP-0007", "Ada Lovelace", "overdue")
    overdue, fire = data["items"]
    assert (overdue["course"], overdue["status"], overdue["certificate"]) == ("conduct", "overdue", None)
    assert (fire["status"], fire["control_id"], fire["course_title"]) == ("compliant", "ISO45001-7.2", "Fire Safety")
    certificate = fire["certificate"]
    assert certificate["valid"] is True
    assert certificate["pdf_url"] == f"http://testserver/lms/certificates/{certificate['name']}.pdf"
    (evidence,) = fire["quiz_submissions"]
    assert evidence["submitted_at"].startswith(quiz.submitted_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert {key: evidence[key] for key in ("id", "quiz", "percentage", "pdf_url")} == {
        "id": quiz.pk,
        "quiz": "Final",
        "percentage": 90.0,
        "pdf_url": f"http://testserver/api/v1/quiz-submissions/{quiz.pk}.pdf",
    }


def test_compliance_is_for_hr_and_system_managers_only(api, employee_with_evidence):
    response = api(UserFactory(roles=[Role.MODERATOR])).get("/employees/HR-EMP-0007/compliance")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert api(UserFactory(roles=[Role.SYSTEM_MANAGER])).get("/employees/HR-EMP-0007/compliance").status_code == 200


def test_compliance_of_an_unknown_employee_is_404(api):
    response = api(UserFactory(roles=[Role.HR_MANAGER])).get("/employees/HR-NOPE/compliance")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
