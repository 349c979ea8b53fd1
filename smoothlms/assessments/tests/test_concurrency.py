"""Attempts under real concurrency: each thread has its own connection and transaction, on whichever
database the suite runs (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import pytest
from django.db import connection

from smoothlms.assessments.errors import MaxAttemptsReached
from smoothlms.assessments.models import Quiz, QuizAttempt, QuizSubmission
from smoothlms.assessments.services import start_attempt, submit_quiz
from smoothlms.assessments.tests.conftest import answers_for
from smoothlms.assessments.tests.factories import link, make_quiz
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.core.testing import assert_locks_before_write, run_in_threads
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.models import User
from smoothlms.people.tests.factories import UserFactory

RACERS = 20


def _learner_with_quiz(**quiz_fields):
    batch = BatchFactory()
    learner = UserFactory()
    enroll(batch=batch, member=learner, actor=None, source=Source.DESK, notify=False)
    quiz = make_quiz(**quiz_fields)
    link(batch, quiz)
    return learner, quiz


@pytest.mark.django_db(transaction=True)
def test_twenty_submissions_racing_for_the_only_attempt_give_exactly_one():
    learner, quiz = _learner_with_quiz(max_attempts=1)
    answers = answers_for(quiz)
    outcomes: list[str] = []

    def attempt(_: int) -> None:
        try:
            submit_quiz(
                quiz=Quiz.objects.get(pk=quiz.pk), member=User.objects.get(pk=learner.pk), answers=answers, actor=None
            )
            outcomes.append("accepted")
        except MaxAttemptsReached:
            outcomes.append("max_attempts_reached")
        finally:
            connection.close()

    run_in_threads(attempt, range(RACERS))
    assert sorted(outcomes) == ["accepted"] + ["max_attempts_reached"] * (RACERS - 1)
    assert QuizSubmission.objects.filter(quiz=quiz).count() == 1
    assert QuizAttempt.objects.filter(quiz=quiz).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_starts_of_the_last_attempts_never_exceed_max_attempts():
    learner, quiz = _learner_with_quiz(max_attempts=3, time_limit_minutes=5)
    QuizAttempt.objects.create(quiz=quiz, member=learner, number=1, order=[])
    QuizAttempt.objects.create(quiz=quiz, member=learner, number=2, order=[])  # both expired or submitted: used
    QuizAttempt.objects.filter(quiz=quiz).update(deadline="2000-01-01T00:00:00Z")
    outcomes: list[str] = []

    def attempt(_: int) -> None:
        try:
            started = start_attempt(quiz=Quiz.objects.get(pk=quiz.pk), member=learner, actor=None)
            outcomes.append(f"attempt {started.number}")
        except MaxAttemptsReached:
            outcomes.append("max_attempts_reached")
        finally:
            connection.close()

    run_in_threads(attempt, range(RACERS))
    # The first start opens attempt 3; the others find it open and get the same one back.
    assert set(outcomes) == {"attempt 3"}
    assert QuizAttempt.objects.filter(quiz=quiz).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_submission_locks_the_learner_before_it_writes():
    learner, quiz = _learner_with_quiz(max_attempts=1)
    with assert_locks_before_write("people_user", write_table="assessments_quizsubmission", pks=[learner.pk]):
        submit_quiz(quiz=quiz, member=learner, answers=answers_for(quiz), actor=None)
