"""A cohort with a quiz and an assignment, and a learner actively enrolled in it."""

from __future__ import annotations

import pytest

from smoothlms.assessments.tests.factories import link, make_assignment, make_quiz
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory


@pytest.fixture
def cohort(db):
    return BatchFactory(name="safety-week", title="Safety week", courses=[CourseFactory(title="Workplace safety")])


@pytest.fixture
def learner(cohort):
    user = UserFactory(email="rosa@example.com", full_name="Rosa Diaz", time_zone="Europe/Berlin")
    EmployeeFactory(employee="HR-0042", employee_name="Rosa Diaz", user=user)
    enroll(batch=cohort, member=user, actor=None, source=Source.DESK, notify=False)
    return user


@pytest.fixture
def quiz(cohort):
    quiz = make_quiz()
    link(cohort, quiz)
    return quiz


@pytest.fixture
def assignment(cohort):
    assignment = make_assignment()
    link(cohort, assignment)
    return assignment


def answers_for(quiz, *, right: bool = True) -> list:
    """Answers to make_quiz's three questions, all right or all wrong."""
    from smoothlms.assessments.grading import AnswerIn
    from smoothlms.assessments.selectors import list_questions

    q1, q2, q3 = list_questions(quiz=quiz)
    pick = [o.pk for o in q1.options.all() if o.correct == right][:1]
    several = [o.pk for o in q2.options.all() if o.correct == right]
    return [
        AnswerIn(q1.pk, options=pick),
        AnswerIn(q2.pk, options=several),
        AnswerIn(q3.pk, text=" 112 " if right else "999"),
    ]
