"""A cohort with `certification` on certifies a member once every course is completed and every
assessment passed (CONTRACT.md section 13), whichever of the two comes last."""

from __future__ import annotations

import pytest

from smoothlms.assessments.selectors import passed_every_assessment
from smoothlms.assessments.services import grade_assignment_submission, submit_assignment, submit_quiz
from smoothlms.assessments.tests.conftest import answers_for
from smoothlms.people.tests.factories import moderator
from smoothlms.training.models import Certificate
from smoothlms.training.services import record_course_completion
from smoothlms.training.tests.factories import complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def certifying(cohort):
    cohort.certification = True
    cohort.save(update_fields=["certification"])
    return cohort


def finish_courses(member, cohort):
    for course in cohort.courses.all():
        complete(member, course, batch=cohort)
        record_course_completion(member=member, course=course, actor=member)


def cohort_certificates(member, cohort):
    return list(Certificate.objects.filter(member=member, batch=cohort, course=None))


def test_completing_the_courses_with_a_quiz_not_passed_issues_nothing(certifying, learner, quiz):
    assert not passed_every_assessment(learner, certifying)
    finish_courses(learner, certifying)
    assert cohort_certificates(learner, certifying) == []


def test_a_failed_quiz_after_the_courses_issues_nothing(certifying, learner, quiz):
    finish_courses(learner, certifying)
    submission = submit_quiz(quiz=quiz, member=learner, answers=answers_for(quiz, right=False), actor=learner)
    assert not submission.passed and cohort_certificates(learner, certifying) == []


def test_passing_the_last_quiz_after_the_courses_issues_the_cohort_certificate(certifying, learner, quiz):
    finish_courses(learner, certifying)
    submit_quiz(quiz=quiz, member=learner, answers=answers_for(quiz), actor=learner)
    assert passed_every_assessment(learner, certifying)
    assert len(cohort_certificates(learner, certifying)) == 1


def test_passing_the_quiz_first_then_the_courses_issues_it_once(certifying, learner, quiz):
    submit_quiz(quiz=quiz, member=learner, answers=answers_for(quiz), actor=learner)
    assert cohort_certificates(learner, certifying) == []  # the course is not completed yet
    finish_courses(learner, certifying)
    finish_courses(learner, certifying)
    assert len(cohort_certificates(learner, certifying)) == 1


def test_a_passing_grade_of_the_last_assignment_issues_it_and_a_fail_does_not(certifying, learner, assignment):
    finish_courses(learner, certifying)
    grader = moderator()
    first = submit_assignment(assignment=assignment, member=learner, text="My risk assessment.", actor=learner)
    grade_assignment_submission(submission=first, passed=False, comment="Add the exits.", actor=grader)
    assert cohort_certificates(learner, certifying) == []
    second = submit_assignment(assignment=assignment, member=learner, text="With the exits.", actor=learner)
    grade_assignment_submission(submission=second, passed=True, comment="Good.", actor=grader)
    assert len(cohort_certificates(learner, certifying)) == 1


def test_a_cohort_without_certification_issues_none_on_a_pass(cohort, learner, quiz):
    finish_courses(learner, cohort)
    submit_quiz(quiz=quiz, member=learner, answers=answers_for(quiz), actor=learner)
    assert cohort_certificates(learner, cohort) == []
