"""A purge anonymises the person, never the answers: the submission and each answer stay as they
were, and the print format names the placeholder."""

from __future__ import annotations

import pytest

from smoothlms.assessments.grading import AnswerIn
from smoothlms.assessments.models import QuizAnswer, QuizSubmission
from smoothlms.assessments.selectors import list_questions, submission_print
from smoothlms.assessments.services import submit_assignment, submit_quiz
from smoothlms.assessments.tests.conftest import answers_for
from smoothlms.people.models import User
from smoothlms.people.retention import purge_user

pytestmark = pytest.mark.django_db


def test_purge_keeps_every_answer_and_the_print_names_nobody(learner, quiz, assignment):
    q3 = list_questions(quiz=quiz)[2]
    answers = [a for a in answers_for(quiz) if a.question != q3.pk] + [AnswerIn(q3.pk, text="Rosa Diaz says 112")]
    submission = submit_quiz(quiz=quiz, member=learner, answers=answers, actor=learner)
    handed_in = submit_assignment(assignment=assignment, member=learner, actor=learner, text="Written by Rosa")
    before = list(QuizAnswer.objects.filter(submission=submission).order_by("position").values())

    purge_user(user=learner, actor=None, confirm=True)

    after = list(QuizAnswer.objects.filter(submission=submission).order_by("position").values())
    assert after == before and after[2]["answer"] == "Rosa Diaz says 112"
    stored = QuizSubmission.objects.select_related("member", "course", "batch").get(pk=submission.pk)
    assert (stored.score, stored.passed, stored.member_id) == (submission.score, submission.passed, learner.pk)
    printed = submission_print(stored)
    purged = User.objects.get(pk=learner.pk)
    assert printed.learner == printed.email == purged.email == f"purged-{learner.pk}@invalid"
    assert printed.hr_id == "HR-0042"  # the HR id stays (CONTRACT: purge keeps it; names and emails go)
    handed_in.refresh_from_db()
    assert handed_in.text == "Written by Rosa"
