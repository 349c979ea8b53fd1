"""`smoothlms export quiz-submissions`: long format, one line per question with the question, the
learner's answer, the correct answer and the marks; recorded submissions keep one line."""

from __future__ import annotations

import csv
import io

import pytest

from smoothlms.assessments.models import Quiz, QuizSubmission
from smoothlms.assessments.services import submit_quiz
from smoothlms.assessments.tests.conftest import answers_for
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.csvio.exports import ExportFilters, export_lines

pytestmark = pytest.mark.django_db


def rows(filters=None):
    return list(csv.DictReader(io.StringIO("".join(export_lines("quiz-submissions", filters)))))


def test_quiz_submissions_export_one_line_per_question(cohort, learner, quiz):
    submission = submit_quiz(quiz=quiz, member=learner, answers=answers_for(quiz, right=False), actor=learner)
    lines = rows()
    assert [(r["submission"], r["attempt"], r["question_number"]) for r in lines] == [
        (f"QS-{submission.pk:06d}", "1", str(n)) for n in (1, 2, 3)
    ]
    first, second, third = lines
    assert (first["member"], first["quiz"], first["score"], first["passed"]) == (
        "rosa@example.com",
        "Fire safety",
        "0.00",
        "false",
    )
    assert (first["question"], first["answer"], first["correct"], first["marks"], first["marks_out_of"]) == (
        "Which extinguisher is for electrical fires?",
        "Water",
        "CO2",
        "0.00",
        "1.00",
    )
    assert (second["answer"], second["correct"], second["marks_out_of"]) == ("Coffee mug", "Gloves; Goggles", "2.00")
    assert (third["answer"], third["correct"]) == ("999", "112 | 911")


def test_a_recorded_submission_without_answers_keeps_one_line_and_the_cohort_filter_holds(cohort, learner, quiz):
    legacy = Quiz.objects.create(title="Typed in", passing_percentage=0)
    QuizSubmission.objects.create(
        quiz=legacy,
        member=learner,
        attempt=1,
        source="recorded",
        quiz_title="Typed in",
        batch=cohort,
        score=5,
        score_out_of=10,
        percentage=50,
        recorded_answers={"q1": "yes"},
    )
    submit_quiz(quiz=quiz, member=learner, answers=[], actor=learner)
    lines = rows(ExportFilters(batch=cohort))
    assert len(lines) == 4
    recorded = next(r for r in lines if r["quiz"] == "Typed in")
    assert recorded["question"] == recorded["answer"] == recorded["marks"] == ""
    assert rows(ExportFilters(batch=BatchFactory())) == []
