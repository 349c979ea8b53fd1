"""Certificates on the portal: the PDF for holder and staff, the public check, and the learner's
assignments and certificates on /lms/courses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.people.models import EmployeeStatus
from smoothlms.people.roles import Role
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory
from smoothlms.training.models import AssignmentStatus, TrainingAssignment
from smoothlms.training.selectors import list_my_assignments_and_certificates
from smoothlms.training.services import issue_certificate
from smoothlms.training.tests.factories import certificate_course, complete

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def certificate(learner):
    learner.full_name = "Ada Lovelace"
    learner.save()
    EmployeeFactory(employee="HR-EMP-0042", user=learner, employee_name="Ada Lovelace")
    course = certificate_course(title="Fire Safety", validity_months=12)
    complete(learner, course)
    return issue_certificate(member=learner, course=course, actor=None, on=TODAY - dt.timedelta(days=10))


def test_verify_shows_the_holder_course_dates_and_validity_and_nothing_private(client, certificate):
    response = client.get(f"/verify/{certificate.name}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ada Lovelace" in page and "Fire Safety" in page and 'data-verify-status="valid"' in page
    assert certificate.issue_date.strftime("%Y-%m-%d") in page and certificate.expiry_date.strftime("%Y-%m-%d") in page
    for private in ("ada@example.com", "HR-EMP-0042", "@"):
        assert private not in page.split("<main", 1)[1]
    assert response["X-Robots-Tag"] == "noindex"


def test_verify_says_expired_and_still_answers_for_leavers(client, certificate, learner):
    certificate.__class__.objects.filter(pk=certificate.pk).update(
        issue_date=TODAY - dt.timedelta(days=800), expiry_date=TODAY - dt.timedelta(days=1)
    )
    set_user_enabled(user=learner, enabled=False, actor=None)
    learner.employees.update(status=EmployeeStatus.LEFT)
    page = client.get(f"/verify/{certificate.name}").content.decode()
    assert 'data-verify-status="expired"' in page and "Ada Lovelace" in page


def test_verify_of_an_unknown_name_is_404(client, certificate):
    response = client.get("/verify/NOSUCHCERT")
    assert response.status_code == 404
    assert "No certificate named NOSUCHCERT." in response.content.decode()
    assert client.get("/verify/" + "x" * 300).status_code == 404
    assert client.get("/verify/AB%00CD").status_code == 404


def test_verify_reads_a_number_typed_in_lower_case(client, certificate):
    assert "Ada Lovelace" in client.get(f"/verify/{certificate.name.lower()}").content.decode()


def test_the_holder_downloads_the_pdf(signed_in, certificate):
    response = signed_in.get(f"/lms/certificates/{certificate.name}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_staff_who_read_certificates_download_it_others_get_404(client, certificate):
    client.force_login(UserFactory(roles=[Role.HR_MANAGER]))
    assert client.get(f"/lms/certificates/{certificate.name}.pdf").status_code == 200
    client.force_login(UserFactory(roles=[Role.MODERATOR]))
    assert client.get(f"/lms/certificates/{certificate.name}.pdf").status_code == 200
    client.force_login(UserFactory(email="someone@example.com"))
    assert client.get(f"/lms/certificates/{certificate.name}.pdf").status_code == 404
    assert client.get("/lms/certificates/NOSUCHCERT.pdf").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, certificate):
    response = client.get(f"/lms/certificates/{certificate.name}.pdf")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_courses_page_lists_assignments_overdue_first_and_certificates(signed_in, learner, certificate):
    TrainingAssignment.objects.create(
        user=learner, course=CourseFactory(title="Data Protection"), due_date=TODAY + dt.timedelta(days=5)
    )
    TrainingAssignment.objects.create(
        user=learner, course=CourseFactory(title="Code of Conduct"), due_date=TODAY - dt.timedelta(days=3)
    )
    TrainingAssignment.objects.create(
        user=learner,
        course=CourseFactory(title="Old one"),
        due_date=TODAY,
        status=AssignmentStatus.COMPLETED,
        completed_at=timezone.now(),
    )
    page = signed_in.get("/lms/courses").content.decode()
    assert page.index("Code of Conduct") < page.index("Data Protection") < page.index("Old one")
    assert "Overdue · 3 days" in page and "1 overdue" in page and "Due in 5 days" in page
    assert f'data-certificate="{certificate.name}"' in page and "Valid until" in page
    assert f"/lms/certificates/{certificate.name}.pdf" in page and f"/verify/{certificate.name}" in page


def test_courses_page_without_training_shows_no_section(signed_in):
    assert "training-heading" not in signed_in.get("/lms/courses").content.decode()


def test_learner_selector_is_three_queries(learner, certificate, django_assert_num_queries):
    for days in (-3, 4, 9):
        TrainingAssignment.objects.create(user=learner, course=CourseFactory(), due_date=TODAY + dt.timedelta(days))
    with django_assert_num_queries(3):
        training = list_my_assignments_and_certificates(learner)
        assert [row.state for row in training.assignments] == ["overdue", "due", "due"]
        assert [row.valid for row in training.certificates] == [True]
