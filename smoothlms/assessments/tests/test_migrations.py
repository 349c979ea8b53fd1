"""The quiz submissions typed into the desk before assessments existed are copied, not lost: the
migration moves each row into assessments (as a `recorded` submission of a quiz named like it) and
only then drops the old table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.people.tests.factories import UserFactory

BEFORE = [("assessments", None), ("training", "0001_initial")]


def _migrate(targets, *, state_of=None):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(state_of or targets).apps


@pytest.mark.django_db(transaction=True)
def test_recorded_quiz_submissions_are_copied_into_assessments():
    course = CourseFactory(title="Forklifts")
    ada, bob = UserFactory(email="ada@example.com"), UserFactory(email="bob@example.com")
    latest = [(app, migration) for app, migration in MigrationExecutor(connection).loader.graph.leaf_nodes()]
    old_apps = _migrate(BEFORE, state_of=[("training", "0001_initial")])
    Old = old_apps.get_model("training", "QuizSubmission")
    when = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    for member, score, passed, minutes in [(ada.pk, 4, False, 0), (ada.pk, 9, True, 5), (bob.pk, 7, True, 1)]:
        Old.objects.create(
            member_id=member,
            course_id=course.pk,
            quiz="Forklift test",
            score=score,
            score_out_of=10,
            percentage=score * 10,
            passed=passed,
            answers=[{"q": "Max load?", "a": "2 t"}],
            submitted_at=when + dt.timedelta(minutes=minutes),
        )
    try:
        new_apps = _migrate(latest)
        Submission = new_apps.get_model("assessments", "QuizSubmission")
        rows = list(
            Submission.objects.order_by("member_id", "attempt").values_list(
                "member_id",
                "attempt",
                "quiz_title",
                "course_id",
                "score",
                "passed",
                "source",
                "recorded_answers",
                "submitted_at",
            )
        )
        raw, minute = [{"q": "Max load?", "a": "2 t"}], dt.timedelta(minutes=1)
        assert rows == [
            (ada.pk, 1, "Forklift test", course.pk, Decimal("4.00"), False, "recorded", raw, when),
            (ada.pk, 2, "Forklift test", course.pk, Decimal("9.00"), True, "recorded", raw, when + 5 * minute),
            (bob.pk, 1, "Forklift test", course.pk, Decimal("7.00"), True, "recorded", raw, when + minute),
        ]
        quiz = new_apps.get_model("assessments", "Quiz").objects.get()
        assert (quiz.title, quiz.course_id) == ("Forklift test", course.pk)
        assert "training_quizsubmission" not in connection.introspection.table_names()
    finally:
        _migrate(latest)
