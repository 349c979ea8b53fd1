"""Issuing certificates: once per completion cycle, expiry arithmetic, cohort certificates, and
what a course completion sets off."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.core.testing import run_in_threads
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training.dates import add_months
from smoothlms.training.errors import (
    CertificateNotOffered,
    CertificationNotOffered,
    CourseNotCompleted,
    NothingToCertify,
)
from smoothlms.training.models import AssignmentStatus, Certificate, TrainingAssignment
from smoothlms.training.services import (
    NAME_ALPHABET,
    NAME_LENGTH,
    issue_certificate,
    issue_cohort_certificate_if_complete,
    record_course_completion,
)
from smoothlms.training.tests.factories import certificate_course, complete

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def issued_events():
    return EnrollmentEvent.objects.filter(kind=EventType.CERTIFICATE_ISSUED)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),  # leap year
        (dt.date(2028, 2, 29), 12, dt.date(2029, 2, 28)),
        (dt.date(2028, 2, 29), 48, dt.date(2032, 2, 29)),
        (dt.date(2026, 3, 31), 1, dt.date(2026, 4, 30)),
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
        (dt.date(2026, 5, 10), 24, dt.date(2028, 5, 10)),
    ],
)
def test_add_months_stays_inside_the_target_month(day, months, expected):
    assert add_months(day, months) == expected


def test_issue_certificate_gives_the_member_a_short_unguessable_certificate_with_its_expiry():
    member, course = UserFactory(), certificate_course(validity_months=1)
    complete(member, course)
    certificate = issue_certificate(member=member, course=course, actor=None, on=dt.date(2028, 1, 31))
    assert certificate.member == member and certificate.course == course
    assert (certificate.issue_date, certificate.expiry_date) == (dt.date(2028, 1, 31), dt.date(2028, 2, 29))
    assert len(certificate.name) == NAME_LENGTH and set(certificate.name) <= set(NAME_ALPHABET)
    event = issued_events().get()
    assert (event.member, event.after["certificate"], event.after["expiry_date"]) == (
        member,
        certificate.name,
        "2028-02-29",
    )


def test_names_differ_between_certificates():
    course = certificate_course()
    names = set()
    for _ in range(20):
        member = UserFactory()
        complete(member, course)
        names.add(issue_certificate(member=member, course=course, actor=None).name)
    assert len(names) == 20


def test_a_course_without_validity_issues_certificates_that_never_expire():
    member, course = UserFactory(), certificate_course(validity_months=None)
    complete(member, course)
    assert issue_certificate(member=member, course=course, actor=None).expiry_date is None


def test_issuing_again_for_the_same_completion_changes_nothing():
    member, course = UserFactory(), certificate_course()
    complete(member, course)
    first = issue_certificate(member=member, course=course, actor=None)
    again = issue_certificate(member=member, course=course, actor=None, on=TODAY + dt.timedelta(days=100))
    assert again == first
    assert Certificate.objects.count() == 1 and issued_events().count() == 1


def test_a_completion_after_expiry_issues_a_new_certificate():
    member, course = UserFactory(), certificate_course(validity_months=12)
    complete(member, course)
    first = issue_certificate(member=member, course=course, actor=None, on=dt.date(2026, 1, 10))
    assert issue_certificate(member=member, course=course, actor=None, on=dt.date(2027, 1, 10)) == first
    second = issue_certificate(member=member, course=course, actor=None, on=dt.date(2027, 1, 11))
    assert second != first and (second.cycle, second.issue_date, second.expiry_date) == (
        2,
        dt.date(2027, 1, 11),
        dt.date(2028, 1, 11),
    )


def test_a_new_assignment_after_the_certificate_starts_a_new_cycle():
    member, course = UserFactory(), certificate_course()
    complete(member, course)
    first = issue_certificate(member=member, course=course, actor=None)
    TrainingAssignment.objects.create(user=member, course=course, due_date=TODAY + dt.timedelta(days=60))
    second = issue_certificate(member=member, course=course, actor=None)
    assert second != first and second.cycle == 2 and Certificate.objects.count() == 2
    assert issue_certificate(member=member, course=course, actor=None) == second


def test_issue_certificate_refuses_a_course_that_gives_none():
    member, course = UserFactory(), CourseFactory(certificate=False)
    complete(member, course)
    with pytest.raises(CertificateNotOffered) as refused:
        issue_certificate(member=member, course=course, actor=None)
    assert refused.value.code == "certificate_not_offered"
    assert not Certificate.objects.exists() and not issued_events().exists()


def test_issue_certificate_refuses_a_member_who_has_not_completed():
    member, course = UserFactory(), certificate_course()
    with pytest.raises(CourseNotCompleted):
        issue_certificate(member=member, course=course, actor=None)
    complete(member, course, at=None)
    other = UserFactory()
    with pytest.raises(CourseNotCompleted):  # someone else's completion does not count
        issue_certificate(member=other, course=course, actor=None)
    assert not Certificate.objects.filter(member=other).exists() and not issued_events().exists()


def test_issue_certificate_needs_a_course_or_a_cohort():
    with pytest.raises(NothingToCertify):
        issue_certificate(member=UserFactory(), actor=None)
    assert not Certificate.objects.exists()


def test_the_certificate_records_the_cohort_the_course_came_through():
    member, course = UserFactory(), certificate_course()
    batch = BatchFactory(courses=[course])
    enroll(batch=batch, member=member, actor=None, source=Source.API)
    complete(member, course)
    assert issue_certificate(member=member, course=course, actor=None).batch == batch


# Cohort certificates ------------------------------------------------------------------------------


@pytest.fixture
def cohort():
    courses = [CourseFactory(validity_months=24), CourseFactory(validity_months=12), CourseFactory()]
    return BatchFactory(courses=courses, certification=True)


def test_cohort_certificate_waits_for_every_course(cohort):
    member = UserFactory()
    first, second, third = [link.course for link in cohort.batch_courses.order_by("position")]
    complete(member, first)
    complete(member, second)
    assert issue_cohort_certificate_if_complete(member=member, batch=cohort, actor=None) is None
    complete(member, third)
    certificate = issue_cohort_certificate_if_complete(member=member, batch=cohort, actor=None, on=dt.date(2026, 3, 1))
    assert (certificate.batch, certificate.course, certificate.subject) == (cohort, None, f"batch:{cohort.pk}")
    assert certificate.expiry_date == dt.date(2027, 3, 1)  # the shortest validity of its courses
    assert issue_cohort_certificate_if_complete(member=member, batch=cohort, actor=None) == certificate


def test_cohort_certificate_waits_for_the_assessments(cohort, settings):
    member = UserFactory()
    for link in cohort.batch_courses.all():
        complete(member, link.course)
    assert (
        issue_cohort_certificate_if_complete(member=member, batch=cohort, actor=None, assessments_passed=False) is None
    )
    settings.SMOOTHLMS_COHORT_ASSESSMENTS_PASSED = "smoothlms.training.tests.test_certificates.nobody_passed"
    assert issue_cohort_certificate_if_complete(member=member, batch=cohort, actor=None) is None
    assert not Certificate.objects.exists()
    settings.SMOOTHLMS_COHORT_ASSESSMENTS_PASSED = "smoothlms.training.tests.test_certificates.everybody_passed"
    assert issue_cohort_certificate_if_complete(member=member, batch=cohort, actor=None) is not None


def nobody_passed(member, batch) -> bool:
    return False


def everybody_passed(member, batch) -> bool:
    return True


def test_cohort_without_certification_issues_none_and_refuses_directly(cohort):
    cohort.certification = False
    cohort.save()
    member = UserFactory()
    for link in cohort.batch_courses.all():
        complete(member, link.course)
    assert issue_cohort_certificate_if_complete(member=member, batch=cohort, actor=None) is None
    with pytest.raises(CertificationNotOffered):
        issue_certificate(member=member, batch=cohort, actor=None)
    assert not Certificate.objects.exists()


# A course completion -------------------------------------------------------------------------------


def test_completion_closes_the_assignment_and_issues_course_and_cohort_certificates():
    course = certificate_course()
    batch = BatchFactory(courses=[course], certification=True)
    member = UserFactory()
    enroll(batch=batch, member=member, actor=None, source=Source.API)
    assignment = TrainingAssignment.objects.create(user=member, course=course, due_date=TODAY)
    complete(member, course)
    result = record_course_completion(member=member, course=course, actor=None)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED and assignment.completed_at is not None
    assert sorted(c.subject for c in result.certificates) == sorted([f"course:{course.pk}", f"batch:{batch.pk}"])
    again = record_course_completion(member=member, course=course, actor=None)
    assert (again.closed_assignments, Certificate.objects.count()) == (0, 2)


def test_completion_of_a_course_without_certificate_only_closes_the_assignment():
    course, member = CourseFactory(), UserFactory()
    TrainingAssignment.objects.create(user=member, course=course, due_date=TODAY)
    complete(member, course)
    result = record_course_completion(member=member, course=course, actor=None)
    assert (result.closed_assignments, result.certificates) == (1, [])
    assert not Certificate.objects.exists()


def test_issuing_sends_nothing_to_the_worker_before_commit(django_capture_on_commit_callbacks):
    member, course = UserFactory(), certificate_course()
    complete(member, course)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        certificate = issue_certificate(member=member, course=course, actor=None)
    assert len(callbacks) == 1
    assert not Certificate.objects.get(pk=certificate.pk).pdf  # rendered by the worker, after commit


@pytest.mark.django_db(transaction=True)
def test_two_completions_at_once_issue_one_certificate():
    member, course = UserFactory(), certificate_course()
    complete(member, course)
    names = []

    def attempt(_):
        try:
            names.append(issue_certificate(member=member, course=course, actor=None).name)
        finally:
            connection.close()

    run_in_threads(attempt, range(2))
    assert Certificate.objects.count() == 1
    assert names == [Certificate.objects.get().name] * 2
    assert issued_events().count() == 1
