"""The Employee Compliance ledger: statuses per required course, evidence attached, the export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from smoothlms.assessments.evidence import list_quiz_evidence
from smoothlms.assessments.tests.factories import recorded_submission
from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.csvio.writer import csv_text
from smoothlms.people.models import EmployeeStatus
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory
from smoothlms.training.compliance import (
    COMPLIANT,
    DUE,
    EMPLOYEE_COMPLIANCE_HEADER,
    EXPIRED,
    OVERDUE,
    employee_compliance_rows,
    get_employee_compliance,
    list_employee_compliance,
    list_ledger_employees,
)
from smoothlms.training.models import AssignmentStatus, TrainingAssignment
from smoothlms.training.services import issue_certificate, record_course_completion
from smoothlms.training.tests.factories import certificate_course, complete

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def employee(**kwargs):
    return EmployeeFactory(user=UserFactory(), **kwargs)


def assign(user, course, *, due, **kwargs):
    return TrainingAssignment.objects.create(user=user, course=course, due_date=due, **kwargs)


def passed_quiz(user, course, **kwargs):
    return recorded_submission(
        member=user,
        course=course,
        quiz="Final check",
        score=9,
        score_out_of=10,
        percentage=Decimal("90"),
        passed=True,
        **kwargs,
    )


@pytest.fixture
def ledger_employee():
    """One employee with four required courses, one in each status."""
    person = employee(employee="HR-7", employee_name="Ada Lovelace")
    user = person.user
    done = certificate_course(title="Fire Safety", control_id="ISO45001-7.2")
    assign(user, done, due=TODAY - dt.timedelta(days=40))
    complete(user, done)
    record_course_completion(member=user, course=done, actor=None, on=TODAY - dt.timedelta(days=41))
    passed_quiz(user, done)
    recorded_submission(
        member=user, course=done, quiz="Final check", score=2, score_out_of=10, percentage=Decimal("20"), passed=False
    )
    assign(user, CourseFactory(title="Data Protection"), due=TODAY + dt.timedelta(days=10))
    assign(user, CourseFactory(title="Code of Conduct"), due=TODAY - dt.timedelta(days=3))
    lapsed = certificate_course(title="Forklift", validity_months=12)
    assign(
        user,
        lapsed,
        due=TODAY - dt.timedelta(days=400),
        status=AssignmentStatus.COMPLETED,
        completed_at=timezone.now() - dt.timedelta(days=400),
    )
    complete(user, lapsed)
    issue_certificate(member=user, course=lapsed, actor=None, on=TODAY - dt.timedelta(days=400))
    assign(user, CourseFactory(title="Cancelled one"), due=TODAY, status=AssignmentStatus.CANCELLED)
    return person


def test_one_row_per_required_course_with_its_status(ledger_employee):
    entry = get_employee_compliance(quiz_evidence=list_quiz_evidence, employee=ledger_employee)
    statuses = {row.course.title: row.status for row in entry.rows}
    assert statuses == {
        "Fire Safety": COMPLIANT,
        "Data Protection": DUE,
        "Code of Conduct": OVERDUE,
        "Forklift": EXPIRED,
    }
    assert [row.status for row in entry.rows] == [EXPIRED, OVERDUE, DUE, COMPLIANT]  # worst first
    assert entry.status == EXPIRED


def test_evidence_is_attached_automatically(ledger_employee):
    fire = next(
        row
        for row in get_employee_compliance(quiz_evidence=list_quiz_evidence, employee=ledger_employee).rows
        if row.course.title == "Fire Safety"
    )
    assert fire.control_id == "ISO45001-7.2"
    assert fire.certificate is not None and fire.certificate_valid
    assert fire.certificate_pdf_path == f"/lms/certificates/{fire.certificate.name}.pdf"
    assert [quiz.quiz for quiz in fire.quiz_submissions] == ["Final check"]  # the passing one only
    assert fire.quiz_submissions[0].pdf_path.startswith("/api/v1/quiz-submissions/")
    assert fire.completed_at is not None


def test_an_open_recertification_before_expiry_is_due_and_after_expiry_expired():
    person = employee()
    course = certificate_course(validity_months=12)
    complete(person.user, course)
    certificate = issue_certificate(member=person.user, course=course, actor=None, on=TODAY - dt.timedelta(days=350))
    assign(person.user, course, due=certificate.expiry_date, renews=certificate)
    (row,) = get_employee_compliance(quiz_evidence=list_quiz_evidence, employee=person).rows
    assert row.status == DUE
    (later,) = get_employee_compliance(
        quiz_evidence=list_quiz_evidence, employee=person, today=certificate.expiry_date + dt.timedelta(days=1)
    ).rows
    assert later.status == EXPIRED


def test_a_leaver_keeps_their_ledger():
    person = employee(status=EmployeeStatus.LEFT)
    course = CourseFactory()
    assign(person.user, course, due=TODAY, status=AssignmentStatus.COMPLETED, completed_at=timezone.now())
    assert [row.status for row in get_employee_compliance(quiz_evidence=list_quiz_evidence, employee=person).rows] == [
        COMPLIANT
    ]
    assert list(list_ledger_employees()) == [person]


def test_an_employee_without_user_or_assignments_has_no_rows():
    assert get_employee_compliance(quiz_evidence=list_quiz_evidence, employee=EmployeeFactory(user=None)).rows == []
    assert get_employee_compliance(quiz_evidence=list_quiz_evidence, employee=employee()).rows == []


def test_the_ledger_of_a_page_of_employees_is_a_fixed_number_of_queries(ledger_employee, django_assert_num_queries):
    people = [ledger_employee]
    for _ in range(5):
        person = employee()
        course = certificate_course()
        assign(person.user, course, due=TODAY)
        complete(person.user, course)
        record_course_completion(member=person.user, course=course, actor=None)
        passed_quiz(person.user, course)
        people.append(person)
    with django_assert_num_queries(3):
        entries = list_employee_compliance(people, quiz_evidence=list_quiz_evidence)
        assert sum(len(entry.rows) for entry in entries) == 4 + 5


def test_attention_keeps_employees_with_something_overdue_or_expired(ledger_employee):
    fine = employee()
    assign(fine.user, CourseFactory(), due=TODAY + dt.timedelta(days=5))
    assert set(list_ledger_employees()) == {ledger_employee, fine}
    assert list(list_ledger_employees(attention=True)) == [ledger_employee]
    assert list(list_ledger_employees(search="lovelace")) == [ledger_employee]


def test_export_rows_carry_status_control_and_evidence_links(ledger_employee, settings):
    settings.SITE_URL = "https://lms.example.com"
    rows = list(employee_compliance_rows(quiz_evidence=list_quiz_evidence, chunk_size=1))
    assert all(len(row) == len(EMPLOYEE_COMPLIANCE_HEADER) for row in rows)
    by_course = {row[5]: dict(zip(EMPLOYEE_COMPLIANCE_HEADER, row, strict=True)) for row in rows}
    fire = next(row for row in by_course.values() if row["course_title"] == "Fire Safety")
    assert (fire["employee"], fire["status"], fire["control_id"]) == ("HR-7", COMPLIANT, "ISO45001-7.2")
    assert fire["certificate_pdf"] == f"https://lms.example.com/lms/certificates/{fire['certificate']}.pdf"
    assert fire["quiz_submission_pdfs"].startswith("https://lms.example.com/api/v1/quiz-submissions/")
    assert sorted(row["status"] for row in by_course.values()) == [COMPLIANT, DUE, EXPIRED, OVERDUE]


def test_export_is_formula_safe_through_the_writer():
    person = employee(employee_name='=HYPERLINK("http://evil")', department="+Sales")
    assign(person.user, CourseFactory(title="@Risk"), due=TODAY)
    text = csv_text(EMPLOYEE_COMPLIANCE_HEADER, employee_compliance_rows(quiz_evidence=list_quiz_evidence))
    assert "'=HYPERLINK" in text and "'+Sales" in text and "'@Risk" in text


def test_export_streams_in_chunks(ledger_employee, django_assert_max_num_queries):
    for _ in range(4):
        person = employee()
        assign(person.user, CourseFactory(), due=TODAY)
    with django_assert_max_num_queries(4 * 3):  # 3 chunks of 2 employees (the last one short), 4 queries each
        assert len(list(employee_compliance_rows(quiz_evidence=list_quiz_evidence, chunk_size=2))) == 4 + 4
